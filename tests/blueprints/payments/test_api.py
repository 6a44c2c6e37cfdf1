import pytest
import sqlalchemy as sa
from flask import g

from app.documents.payments import PaymentEvent
from app.extensions import db
from app.models.ledger import LedgerTransaction, Purchase
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session, verify_ledger
from tests.conftest import bearer
from tests.factories import UserFactory, fund, make_item, make_plan
from tests.fakes.stripe_server import event_payload, sign
from tests.payments_fixtures import WEBHOOK_SECRET


@pytest.fixture
def creator():
    return UserFactory()


@pytest.fixture
def headers(app, user):
    return bearer(app, user)


def switch():
    """Requests share the test's app context, where Flask-Login caches the user on `g`."""
    g.pop("_login_user", None)


def tx_count():
    with read_session() as session:
        return session.scalar(sa.select(sa.func.count(LedgerTransaction.id)))


def test_purchase_api(client, user, creator, headers):
    fund(user, credit=5000)
    item = make_item(creator, price_cents=1200)
    r = client.post(f"/api/items/{item.id}/purchase", json={"expected_price_cents": 1200}, headers=headers)
    assert r.status_code == 201
    assert r.json["purchase"]["price_cents"] == 1200
    assert r.json["balance"] == {"credit_cents": 3800, "earnings_cents": 0, "total_cents": 3800}
    r = client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "already_owned"


def test_purchase_api_errors(client, user, creator, headers):
    fund(user, credit=1000)
    item = make_item(creator, price_cents=1200)
    r = client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers)
    assert r.status_code == 402 and r.json["error"]["code"] == "insufficient_funds"
    r = client.post(f"/api/items/{item.id}/purchase", json={"expected_price_cents": 900}, headers=headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "price_changed"
    r = client.post(f"/api/items/{item.id}/purchase", json={"expected_price_cents": 12.5}, headers=headers)
    assert r.status_code == 400
    assert client.post("/api/items/999/purchase", json={}, headers=headers).status_code == 404
    assert tx_count() == 1


def test_money_api_needs_sign_in(client, creator):
    item = make_item(creator)
    before = tx_count()
    for response in (client.post(f"/api/items/{item.id}/purchase", json={}),
                     client.post("/api/payment/redeem-balance", json={"amount_cents": 2000}),
                     client.get(f"/api/payment/transactions/{creator.id}")):
        assert response.status_code == 401
        assert response.json == {"error": {"code": "unauthorized", "message": "Sign in to do that."}}
    assert tx_count() == before
    assert db.session.scalar(sa.select(sa.func.count(Purchase.id))) == 0


def test_subscribe_api(client, user, creator, headers):
    make_plan(creator, 700)
    fund(user, credit=5000)
    r = client.post(f"/api/creators/{creator.username}/subscribe", headers=headers)
    assert r.status_code == 201 and r.json["subscription"]["status"] == "active"
    first = r.json["subscription"]["id"]
    r = client.post(f"/api/creators/{creator.username}/subscribe", headers=headers)
    assert r.status_code == 200
    # Already subscribed: the same subscription, charged once.
    assert r.json["subscription"]["id"] == first and r.json["balance"]["credit_cents"] == 4300
    r = client.delete(f"/api/creators/{creator.username}/subscribe", headers=headers)
    assert r.status_code == 200 and r.json["subscription"]["status"] == "cancelled"
    assert r.json["subscription"]["has_access"] is True
    assert get_balance(user.id)["credit_cents"] == 4300
    nobody = client.post("/api/creators/nobody/subscribe", headers=headers)
    assert nobody.status_code == 404 and nobody.json["error"]["code"] == "not_found"
    assert get_balance(user.id)["credit_cents"] == 4300


def test_checkout_session_api(client, user, headers, stripe_fake):
    r = client.post("/api/payment/create-checkout-session", json={"amount_cents": 2000}, headers=headers)
    assert r.status_code == 201 and r.json["session_id"].startswith("cs_test_")
    assert r.json["url"].startswith("https://checkout.stripe.test/")
    for bad in (499, 1_000_001, -1, 10.5, "abc", None):
        r = client.post("/api/payment/create-checkout-session", json={"amount_cents": bad}, headers=headers)
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid_amount"
    assert len(stripe_fake.calls("POST", "/v1/checkout/sessions")) == 1


def test_not_configured_is_said_plainly(client, user, headers):
    r = client.post("/api/payment/create-checkout-session", json={"amount_cents": 2000}, headers=headers)
    assert r.status_code == 503 and r.json["error"]["code"] == "payments_not_configured"
    assert "not configured" in r.json["error"]["message"]
    r = client.post("/api/payment/connect-onboarding", headers=headers)
    assert r.status_code == 503 and r.json["error"]["code"] == "payments_not_configured"
    r = client.post("/webhook/stripe", data=b"{}", headers={"Stripe-Signature": "t=1,v1=0"})
    assert r.status_code == 503 and r.json["error"]["code"] == "payments_not_configured"
    assert PaymentEvent.objects.count() == 0 and tx_count() == 0


def test_webhook_route_credits_once_and_refuses_bad_signatures(client, user, headers, stripe_fake):
    session_id = client.post("/api/payment/create-checkout-session", json={"amount_cents": 3000},
                             headers=headers).json["session_id"]
    paid = stripe_fake.pay(session_id)
    payload = event_payload("checkout.session.completed", paid, "evt_web_1")
    for _ in range(3):
        r = client.post("/webhook/stripe", data=payload, content_type="application/json",
                        headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)})
        assert r.status_code == 200
    r = client.post("/webhook/stripe", data=payload, content_type="application/json",
                    headers={"Stripe-Signature": sign(payload, "whsec_wrong")})
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_signature"
    other = event_payload("invoice.paid", {"id": "in_1"})
    r = client.post("/webhook/stripe", data=other, content_type="application/json",
                    headers={"Stripe-Signature": sign(other, WEBHOOK_SECRET)})
    assert r.status_code == 200 and r.json["applied"] is False
    assert get_balance(user.id)["credit_cents"] == 3000


def test_redeem_api(client, user, headers):
    fund(user, credit=100_000, earnings=5000)
    r = client.post("/api/payment/redeem-balance", json={"amount_cents": 2000}, headers=headers)
    assert r.status_code == 201
    assert r.json["payout"]["status"] == "pending" and r.json["payout"]["amount_cents"] == 2000
    assert r.json["balance"]["earnings_cents"] == 3000
    r = client.post("/api/payment/redeem-balance", json={"amount_cents": 3001}, headers=headers)
    assert r.status_code == 402
    for bad in (999, -2000, 20.5, "x"):
        assert client.post("/api/payment/redeem-balance", json={"amount_cents": bad}, headers=headers).status_code == 400
    assert get_balance(user.id) == {"credit_cents": 100_000, "earnings_cents": 3000, "total_cents": 103_000}


def test_refund_api(client, user, creator, headers):
    fund(user, credit=5000)
    item = make_item(creator, price_cents=1000)
    pid = client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers).json["purchase"]["id"]
    stranger = bearer(client.application, UserFactory())
    switch()
    assert client.post(f"/api/payment/purchases/{pid}/refund", headers=stranger).status_code == 404
    switch()
    r = client.post(f"/api/payment/purchases/{pid}/refund", headers=headers)
    assert r.status_code == 200 and r.json["purchase"]["status"] == "refunded"
    assert r.json["balance"]["credit_cents"] == 5000


def test_transactions_api_own_admin_others(client, user, headers):
    fund(user, credit=700)
    fund(user, earnings=300)
    r = client.get(f"/api/payment/transactions/{user.id}", headers=headers)
    assert r.status_code == 200
    assert {t["account"] for t in r.json["transactions"]} == {"credit", "earnings"}
    assert set(r.json["transactions"][0]) >= {"id", "kind", "amount_cents", "account", "created_at", "memo"}
    r = client.get(f"/api/payment/transactions/{user.id}?limit=1", headers=headers)
    assert len(r.json["transactions"]) == 1 and r.json["next_cursor"]
    r2 = client.get(f"/api/payment/transactions/{user.id}?limit=1&cursor={r.json['next_cursor']}", headers=headers)
    assert r2.json["transactions"][0]["id"] < r.json["transactions"][0]["id"] and r2.json["next_cursor"] is None
    assert client.get(f"/api/payment/transactions/{user.id}?kind=purchase", headers=headers).json["transactions"] == []
    assert client.get(f"/api/payment/transactions/{user.id}?kind=nope", headers=headers).status_code == 400
    assert client.get(f"/api/payment/transactions/{user.id}?from=2000-01-01&to=2000-01-02",
                      headers=headers).json["transactions"] == []
    assert client.get(f"/api/payment/transactions/{user.id}?from=yesterday", headers=headers).status_code == 400
    assert client.get(f"/api/payment/transactions/{user.id}?cursor=zzz", headers=headers).status_code == 400
    csv = client.get(f"/api/payment/transactions/{user.id}?format=csv", headers=headers)
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).startswith("id,created_at,kind")
    other = UserFactory()
    theirs = client.get(f"/api/payment/transactions/{other.id}", headers=headers)
    assert theirs.status_code == 403 and theirs.json["error"]["code"] == "forbidden" and "transactions" not in theirs.json
    nobody = client.get("/api/payment/transactions/99999", headers=headers)
    assert nobody.status_code == 404 and nobody.json["error"]["code"] == "not_found"
    admin = UserFactory(is_admin=True)
    switch()
    staff = client.get(f"/api/payment/transactions/{user.id}", headers=bearer(client.application, admin))
    assert staff.status_code == 200
    assert [t["id"] for t in staff.json["transactions"]] == [t["id"] for t in r.json["transactions"] + r2.json["transactions"]]


def test_me_reports_the_real_balance(client, user, headers):
    fund(user, credit=250, earnings=50)
    r = client.get("/api/auth/me", headers=headers)
    assert r.json["balance"] == {"credit_cents": 250, "earnings_cents": 50, "total_cents": 300}


def test_signup_grants_once(client, app):
    r = client.post("/api/auth/signup", json={"username": "newbie", "email": "newbie@example.com",
                                              "password": "a long enough passphrase 42"})
    assert r.status_code == 201
    uid = r.json["user"]["id"]
    with read_session() as session:
        assert session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) == 1
        assert verify_ledger(session) == []
    r = client.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json['token']}"})
    assert r.json["balance"]["credit_cents"] == app.config["SIGNUP_GRANT_CENTS"]
    assert get_balance(uid)["credit_cents"] == 5_000_000
    assert tx_count() == 1


def test_failed_signup_grants_nothing(client):
    r = client.post("/api/auth/signup", json={"username": "x", "email": "bad", "password": "short"})
    assert r.status_code == 400
    assert tx_count() == 0


def test_openapi_documents_every_payments_route(client, app):
    spec = client.get("/api/openapi.json").json
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("payments_api."):
            path = rule.rule.replace("<int:item_id>", "{item_id}").replace("<username>", "{username}")
            path = path.replace("<int:purchase_id>", "{purchase_id}").replace("<int:user_id>", "{userId}")
            for choice in ("accept", "decline") if "<any(" in path else (None,):
                expanded = path.replace("<any(accept, decline):decision>", choice) if choice else path
                assert expanded in spec["paths"], expanded
    db.session.rollback()
    assert Purchase  # the module's models are registered


def test_creator_is_notified_of_a_sale(client, user, creator, headers):
    from app.models.social import Notification

    fund(user, credit=5000)
    item = make_item(creator, price_cents=1000)
    assert client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers).status_code == 201
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == creator.id))
    assert note.kind == "sale" and note.actor_id == user.id and "$10.00" in note.text


def test_refund_requests_through_the_api(app, client, user, creator):
    """Issue 21, point 5, for API clients: the same policy and services as the pages."""
    fund(user, credit=2000)
    buyer, seller = bearer(app, user), bearer(app, creator)
    first, second = make_item(creator, price_cents=700, title="One"), make_item(creator, price_cents=300, title="Two")
    bought = [client.post(f"/api/items/{i.id}/purchase", headers=buyer, json={}).get_json()["purchase"]["id"]
              for i in (first, second)]
    early = client.post(f"/api/payment/purchases/{bought[0]}/refund-request", headers=buyer, json={"reason": "x"})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "refund_yourself"
    with read_session() as session:
        for purchase in session.scalars(sa.select(Purchase)):
            purchase.opened_at = purchase.created_at
        session.commit()
    asked = client.post(f"/api/payment/purchases/{bought[0]}/refund-request", headers=buyer, json={"reason": "Oops"})
    assert asked.status_code == 201 and asked.get_json()["refund_request"]["status"] == "pending"
    assert client.post(f"/api/payment/purchases/{bought[0]}/refund-request/accept", headers=buyer).status_code == 404
    accepted = client.post(f"/api/payment/purchases/{bought[0]}/refund-request/accept", headers=seller)
    body = accepted.get_json()
    assert accepted.status_code == 200 and body["purchase"]["status"] == "refunded"
    assert body["refund_request"]["status"] == "accepted"
    again = client.post(f"/api/payment/purchases/{bought[0]}/refund-request/accept", headers=seller)
    assert again.status_code == 409 and get_balance(user.id)["credit_cents"] == 2000 - 300

    client.post(f"/api/payment/purchases/{bought[1]}/refund-request", headers=buyer, json={})
    declined = client.post(f"/api/payment/purchases/{bought[1]}/refund-request/decline", headers=seller,
                           json={"answer": "You have read it all."})
    assert declined.status_code == 200 and declined.get_json()["refund_request"]["answer"] == "You have read it all."
    assert get_balance(user.id)["credit_cents"] == 2000 - 300
    with read_session() as session:
        assert verify_ledger(session) == []
