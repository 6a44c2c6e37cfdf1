import pytest
import sqlalchemy as sa
from flask import g

from app.extensions import db
from app.models.audit import AuditEvent
from app.services.payments import payouts, purchases
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session, verify_ledger
from tests.conftest import HTMX, csrf_token, sign_in
from tests.factories import UserFactory, fund, make_item, make_plan


@pytest.fixture
def creator():
    return UserFactory()


def ok():
    with read_session() as session:
        assert verify_ledger(session) == []


def test_wallet_page_full_and_htmx_fragment(auth_client):
    fund(auth_client.user, credit=12_345, earnings=600)
    page = auth_client.get("/wallet")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "$123.45" in html and "$6.00" in html and "$129.45" in html
    assert 'class="nav-balance"' in html
    fragment = auth_client.get("/wallet?kind=topup", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="history"' in body
    assert auth_client.get("/wallet?kind=purchase", headers=HTMX).get_data(as_text=True).count("<tr id=") == 0
    bad = auth_client.get("/wallet?date_from=nope")
    assert bad.status_code == 400 and "Dates look like 2026-01-31." in bad.get_data(as_text=True)


def test_wallet_needs_sign_in(client):
    r = client.get("/wallet")
    assert r.status_code == 302 and "/signin" in r.headers["Location"]
    assert client.get("/wallet", headers=HTMX).headers.get("HX-Redirect")


def test_csv_export(auth_client):
    fund(auth_client.user, credit=100)
    r = auth_client.get("/wallet/transactions.csv")
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    assert r.get_data(as_text=True).splitlines()[1].endswith(",topup,credit,100,")


def test_purchase_form_without_and_with_htmx(auth_client, creator):
    fund(auth_client.user, credit=5000)
    item, other = make_item(creator, price_cents=1000), make_item(creator, price_cents=1000)
    token = csrf_token(auth_client, "/wallet")
    r = auth_client.post(f"/items/{item.id}/purchase", data={"csrf_token": token, "expected_price_cents": "1000"})
    assert r.status_code == 303 and r.headers["Location"] == f"/items/{item.id}"
    r = auth_client.post(f"/items/{other.id}/purchase", data={"expected_price_cents": "1000"},
                         headers={**HTMX, "X-CSRFToken": token})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == f"/items/{other.id}"
    assert get_balance(auth_client.user.id)["credit_cents"] == 3000
    # a double submit buys once
    auth_client.post(f"/items/{item.id}/purchase", data={"csrf_token": token, "expected_price_cents": "1000"})
    assert get_balance(auth_client.user.id)["credit_cents"] == 3000


def test_stale_page_price_is_refused(auth_client, creator):
    fund(auth_client.user, credit=5000)
    item = make_item(creator, price_cents=1000)
    item.price_cents = 1500
    db.session.commit()
    token = csrf_token(auth_client, "/wallet")
    r = auth_client.post(f"/items/{item.id}/purchase", data={"csrf_token": token, "expected_price_cents": "1000"},
                         follow_redirects=False)
    assert r.status_code == 303
    page = auth_client.get("/wallet").get_data(as_text=True)
    assert "The price changed" in page
    assert get_balance(auth_client.user.id)["credit_cents"] == 5000


def test_purchase_form_needs_csrf(auth_client, creator):
    fund(auth_client.user, credit=5000)
    item = make_item(creator)
    assert auth_client.post(f"/items/{item.id}/purchase", data={"expected_price_cents": "1000"}).status_code == 400
    assert get_balance(auth_client.user.id)["credit_cents"] == 5000


def test_subscribe_and_unsubscribe_forms(auth_client, creator):
    make_plan(creator, 800)
    fund(auth_client.user, credit=5000)
    token = csrf_token(auth_client, "/wallet")
    r = auth_client.post(f"/creators/{creator.username}/subscribe", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == f"/creators/{creator.username}"
    r = auth_client.post(f"/creators/{creator.username}/unsubscribe", headers={**HTMX, "X-CSRFToken": token})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == f"/creators/{creator.username}"
    assert get_balance(auth_client.user.id)["credit_cents"] == 4200
    assert get_balance(creator.id)["earnings_cents"] == 720
    ok()


def test_redeem_form_without_and_with_htmx(auth_client):
    fund(auth_client.user, credit=90_000, earnings=5000)
    token = csrf_token(auth_client, "/wallet")
    r = auth_client.post("/wallet/redeem", data={"csrf_token": token, "amount": "15.00"})
    assert r.status_code == 303
    r = auth_client.post("/wallet/redeem", data={"amount": "10"}, headers={**HTMX, "X-CSRFToken": token})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/wallet"
    assert get_balance(auth_client.user.id)["earnings_cents"] == 2500
    for bad in ("9.99", "-20", "12.345", "abc", "1000"):
        r = auth_client.post("/wallet/redeem", data={"amount": bad}, headers={**HTMX, "X-CSRFToken": token})
        assert r.status_code == 422
        body = r.get_data(as_text=True)
        assert 'id="redeem-form"' in body and "<html" not in body
    r = auth_client.post("/wallet/redeem", data={"csrf_token": token, "amount": "100"})
    assert r.status_code == 422 and "<html" in r.get_data(as_text=True)
    assert get_balance(auth_client.user.id) == {"credit_cents": 90_000, "earnings_cents": 2500, "total_cents": 92_500}


def test_without_stripe_the_wallet_says_so_where_the_buttons_would_be(auth_client):
    html = auth_client.get("/wallet").get_data(as_text=True)
    assert 'id="add-credit-off"' in html and "no payment provider set up" in html
    assert 'id="stripe-link-off"' in html
    assert 'href="/wallet/topup"' not in html and 'action="/wallet/connect"' not in html


def test_topup_page_without_keys_says_not_configured_and_leads_back(auth_client):
    r = auth_client.get("/wallet/topup")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Adding credit is not available yet." in html
    assert 'href="/wallet">Back to your wallet</a>' in html and 'name="amount"' not in html
    r = auth_client.get("/wallet/topup", headers=HTMX)
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    # A form posted from a page shown before Stripe was turned off: 503, still with the way back.
    r = auth_client.post("/wallet/topup", data={"csrf_token": csrf_token(auth_client, "/wallet"), "amount": "20"})
    assert r.status_code == 503 and "Back to your wallet" in r.get_data(as_text=True)


def test_with_stripe_the_wallet_offers_credit_and_a_stripe_link(auth_client, stripe_fake):
    html = auth_client.get("/wallet").get_data(as_text=True)
    assert 'href="/wallet/topup">Add credit</a>' in html and 'action="/wallet/connect"' in html
    assert "add-credit-off" not in html and "stripe-link-off" not in html


def test_topup_page_goes_to_stripe_and_success_page_credits(auth_client, stripe_fake):
    page = auth_client.get("/wallet/topup")
    assert page.status_code == 200 and 'name="amount"' in page.get_data(as_text=True)
    token = csrf_token(auth_client, "/wallet/topup")
    r = auth_client.post("/wallet/topup", data={"csrf_token": token, "amount": "25.00"})
    assert r.status_code == 303 and r.headers["Location"].startswith("https://checkout.stripe.test/pay/cs_test_")
    session_id = r.headers["Location"].rsplit("/", 1)[1]
    assert stripe_fake.sessions[session_id]["amount_total"] == 2500
    r = auth_client.get(f"/wallet/topup/success?session_id={session_id}")
    assert "waiting for Stripe" in r.get_data(as_text=True)
    stripe_fake.pay(session_id)
    r = auth_client.get(f"/wallet/topup/success?session_id={session_id}")
    assert "Credit added" in r.get_data(as_text=True)
    assert auth_client.get("/wallet/topup/success?session_id=cs_unknown").status_code == 404
    for bad in ("4.99", "10000.01", "-5", "5.001"):
        r = auth_client.post("/wallet/topup", data={"csrf_token": token, "amount": bad})
        assert r.status_code == 422
    assert len(stripe_fake.calls("POST", "/v1/checkout/sessions")) == 1


def test_connect_page_form(auth_client, stripe_fake):
    token = csrf_token(auth_client, "/wallet")
    r = auth_client.post("/wallet/connect", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"].startswith("https://connect.stripe.test/setup/acct_")


def test_refund_form(auth_client, creator):
    fund(auth_client.user, credit=5000)
    purchase = purchases.purchase_item(auth_client.user.id, make_item(creator).id).purchase
    token = csrf_token(auth_client, "/wallet")
    assert f'href="/purchases/{purchase.id}/refund">Refund…</a>' in auth_client.get("/wallet").get_data(as_text=True)
    page = auth_client.get(f"/purchases/{purchase.id}/refund").get_data(as_text=True)
    assert f'action="/purchases/{purchase.id}/refund"' in page and "Refund $10.00 now" in page
    r = auth_client.post(f"/purchases/{purchase.id}/refund", headers={**HTMX, "X-CSRFToken": token})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/wallet"
    assert get_balance(auth_client.user.id)["credit_cents"] == 5000
    r = auth_client.post(f"/purchases/{purchase.id}/refund", data={"csrf_token": token})
    assert r.status_code == 303  # already refunded: flashed, nothing written
    assert r.headers["Location"] == "/wallet"
    assert "That purchase is already refunded." in auth_client.get("/wallet").get_data(as_text=True)
    assert get_balance(auth_client.user.id)["credit_cents"] == 5000
    ok()


def test_admin_payouts_page(app, client, user):
    fund(user, earnings=5000)
    first = payouts.redeem_earnings(user.id, 1000)
    second = payouts.redeem_earnings(user.id, 2000)
    sign_in(client, user)
    assert client.get("/admin/payouts").status_code == 404
    admin = UserFactory(is_admin=True)
    g.pop("_login_user", None)
    sign_in(client, admin)
    page = client.get("/admin/payouts")
    assert page.status_code == 200 and f'id="payout-{first.id}"' in page.get_data(as_text=True)
    fragment = client.get("/admin/payouts", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="admin-payouts"' in fragment
    token = csrf_token(client, "/admin/payouts")
    assert client.post(f"/admin/payouts/{first.id}/approve", data={"csrf_token": token}).status_code == 303
    r = client.post(f"/admin/payouts/{second.id}/reject", data={"reason": "no"}, headers={**HTMX, "X-CSRFToken": token})
    assert r.status_code == 204
    assert client.post(f"/admin/payouts/{second.id}/reject", data={"csrf_token": token}).status_code == 409
    assert get_balance(user.id)["earnings_cents"] == 4000
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"payout_approved", "payout_rejected"} <= actions
    ok()


def test_downloading_a_paid_file_ends_the_buyers_own_refund(auth_client, creator):
    from app.documents.items import DownloadFile, ItemContent
    from app.services.items.files import signed_file_url
    from app.services.media import storage

    fund(auth_client.user, credit=5000)
    item = make_item(creator)
    purchase = purchases.purchase_item(auth_client.user.id, item.id).purchase
    key = storage().save("items", b"the file", "bin", "application/octet-stream")
    # The signed-file route serves only keys the item's content still holds.
    ItemContent(item_id=item.id, kind="download", files=[DownloadFile(key=key, name="thing.bin", size=8)]).save()
    url = signed_file_url(auth_client.user.id, item.id, key, "thing.bin")
    response = auth_client.get(url)
    assert response.status_code == 200 and response.get_data() == b"the file"
    response.close()
    token = csrf_token(auth_client, "/wallet")
    auth_client.post(f"/purchases/{purchase.id}/refund", data={"csrf_token": token})
    assert "You opened or downloaded what you paid for" in auth_client.get("/wallet").get_data(as_text=True)
    assert get_balance(auth_client.user.id)["credit_cents"] == 4000


def test_subscribe_form_with_a_stale_price_is_refused(auth_client, creator):
    make_plan(creator, 800)
    fund(auth_client.user, credit=5000)
    token = csrf_token(auth_client, "/wallet")
    r = auth_client.post(f"/creators/{creator.username}/subscribe",
                         data={"csrf_token": token, "expected_price_cents": "500"})
    assert r.status_code == 303
    assert get_balance(auth_client.user.id)["credit_cents"] == 5000
    r = auth_client.post(f"/creators/{creator.username}/subscribe",
                         data={"csrf_token": token, "expected_price_cents": "800"})
    assert get_balance(auth_client.user.id)["credit_cents"] == 4200
    page = auth_client.get(f"/creators/{creator.username}").get_data(as_text=True)
    assert "You are subscribed" in page and "/unsubscribe" in page


@pytest.mark.parametrize("tampered", ["-1000", "10.00", "abc"])
def test_tampered_expected_price_is_refused(auth_client, creator, tampered):
    fund(auth_client.user, credit=5000)
    item = make_item(creator, price_cents=1000)
    token = csrf_token(auth_client, "/wallet")
    r = auth_client.post(f"/items/{item.id}/purchase", data={"csrf_token": token, "expected_price_cents": tampered})
    assert r.status_code == 303
    assert "not whole cents" in auth_client.get("/wallet").get_data(as_text=True)
    assert get_balance(auth_client.user.id)["credit_cents"] == 5000


def test_admin_sends_again_a_payout_left_sending(client, user, stripe_fake):
    from app.models.ledger import Payout
    from app.services.payments.ledger import money_session

    fund(user, earnings=5000)
    payouts.start_onboarding(user, refresh_url="http://localhost/w", return_url="http://localhost/w")
    stripe_fake.fail_transfers = True
    payout = payouts.redeem_earnings(user.id, 2000)  # refused: back to earnings
    assert payout.status == "failed"
    stripe_fake.fail_transfers = False
    with money_session() as session:  # as if the process died before Stripe answered
        from app.services.payments.ledger import SYSTEM_PAYOUTS, Leg, earnings_code, lock_accounts, post

        accounts = lock_accounts(session, [earnings_code(user.id), SYSTEM_PAYOUTS])
        tx_id = post(session, "payout", "payout:crashed", [Leg(accounts[earnings_code(user.id)], -1500),
                                                          Leg(accounts[SYSTEM_PAYOUTS], 1500)])
        row = Payout(user_id=user.id, amount_cents=1500, status="sending", destination="stripe",
                     stripe_account_id=payout.stripe_account_id, transaction_id=tx_id)
        session.add(row)
    admin = UserFactory(is_admin=True)
    sign_in(client, admin)
    page = client.get("/admin/payouts?status=sending").get_data(as_text=True)
    assert "Send again through Stripe" in page
    token = csrf_token(client, "/admin/payouts")
    assert client.post(f"/admin/payouts/{row.id}/send", data={"csrf_token": token}).status_code == 303
    assert payouts._get(row.id).status == "paid"
    assert get_balance(user.id)["earnings_cents"] == 3500
    ok()


def test_wallet_lists_purchases_and_sales_by_title_and_name_in_scrolling_tables(app, user):
    seller = UserFactory(display_name="Sam Seller")
    buyer = UserFactory(display_name="Bea Buyer")
    fund(user, credit=5000)
    fund(buyer, credit=5000)
    bought = make_item(seller, price_cents=900, title="Harbor sketches")
    sold = make_item(user, price_cents=400, title="My own zine")
    purchases.purchase_item(user.id, bought.id)
    purchases.purchase_item(buyer.id, sold.id)
    client = app.test_client()
    sign_in(client, user)
    html = client.get("/wallet").get_data(as_text=True)
    assert "item #" not in html
    purchases_table = html[html.index('id="purchases"'):html.index('id="sales"')]
    assert f'<a href="/items/{bought.id}">Harbor sketches</a>' in purchases_table and "Sam Seller" in purchases_table
    sales_table = html[html.index('id="sales"'):html.index('id="transactions"')]
    assert f'<a href="/items/{sold.id}">My own zine</a>' in sales_table and "Bea Buyer" in sales_table
    history_html = html[html.index('id="history"'):]
    assert 'class="table-scroll" role="region" aria-label="Transactions"' in history_html
    assert 'class="data-table history"' in history_html
    assert f'<a href="/items/{sold.id}">Sold “My own zine” to Bea Buyer</a>' in history_html
    assert f'<a href="/items/{bought.id}">Bought “Harbor sketches” from Sam Seller</a>' in history_html


def test_admin_payouts_name_the_creator(client, user):
    creator = UserFactory(display_name="Payee Person")
    fund(creator, earnings=5000)
    payout = payouts.redeem_earnings(creator.id, 1500)
    sign_in(client, UserFactory(is_admin=True))
    html = client.get("/admin/payouts").get_data(as_text=True)
    row = html[html.index(f'id="payout-{payout.id}"'):]
    row = row[:row.index("</tr>")]
    assert f'href="/admin/users/{creator.id}">Payee Person</a>' in row and f"@{creator.username}" in row
    assert "User " not in row and 'class="table-scroll" role="region" aria-label="Payouts"' in html
