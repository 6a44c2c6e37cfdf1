import json
import random
import threading
import time

import pytest
import sqlalchemy as sa

from app.documents.payments import PaymentEvent
from app.models.ledger import LedgerTransaction, TopUp
from app.services.errors import InsufficientFunds, Invalid, NotAllowed
from app.services.payments import payouts, topups
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session, verify_ledger
from app.services.payments.stripe_gateway import PaymentsNotConfigured
from tests.factories import UserFactory, fund
from tests.fakes.stripe_server import event_payload, sign
from tests.payments_fixtures import WEBHOOK_SECRET

URLS = {"success_url": "http://localhost/wallet/topup/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://localhost/wallet/topup"}


def ok():
    with read_session() as session:
        assert verify_ledger(session) == []


def tx_count():
    with read_session() as session:
        return session.scalar(sa.select(sa.func.count(LedgerTransaction.id)))


def deliver(event_type, obj, event_id=None, timestamp=None, secret=WEBHOOK_SECRET):
    payload = event_payload(event_type, obj, event_id)
    return topups.handle_webhook(payload, sign(payload, secret, timestamp))


def test_topup_creates_a_checkout_session_carrying_user_and_key(user, stripe_fake):
    topup = topups.start_topup(user.id, 2500, **URLS)
    call = stripe_fake.calls("POST", "/v1/checkout/sessions")[0]
    assert call["body"]["client_reference_id"] == str(user.id)
    assert call["body"]["metadata"]["user_id"] == str(user.id)
    assert call["body"]["metadata"]["idempotency_key"] == topup.idempotency_key
    assert call["idempotency_key"] == f"checkout-{topup.idempotency_key}"
    assert call["body"]["line_items"]["0"]["price_data"]["unit_amount"] == "2500"
    assert call["authorization"] == "Bearer sk_test_dreamdot"
    assert topup.url.startswith("https://checkout.stripe.test/")


@pytest.mark.parametrize("amount", [499, 1_000_001, -500, 10.5, "12.5", True, None, "abc"])
def test_topup_amount_is_checked_and_nothing_is_sent(user, stripe_fake, amount):
    with pytest.raises(Invalid):
        topups.start_topup(user.id, amount, **URLS)
    assert stripe_fake.requests == []


def test_without_keys_topup_says_not_configured(user):
    with pytest.raises(PaymentsNotConfigured) as err:
        topups.start_topup(user.id, 1000, **URLS)
    assert "not configured" in err.value.message
    with pytest.raises(PaymentsNotConfigured):
        topups.handle_webhook(b"{}", "t=1,v1=x")


def test_completed_and_async_succeeded_and_replays_credit_once(user, stripe_fake):
    topup = topups.start_topup(user.id, 2500, **URLS)
    paid = stripe_fake.pay(topup.session_id)
    assert deliver("checkout.session.completed", paid, "evt_1")["applied"] is True
    assert deliver("checkout.session.completed", paid, "evt_1")["applied"] is False
    assert deliver("checkout.session.async_payment_succeeded", paid, "evt_2")["applied"] is False
    assert get_balance(user.id)["credit_cents"] == 2500
    assert PaymentEvent.objects(event_id="evt_1").first().deliveries == 2
    assert json.loads(PaymentEvent.objects(event_id="evt_2").first().payload)["id"] == "evt_2"
    with read_session() as session:
        assert session.scalar(sa.select(TopUp.status)) == "credited"
    ok()


def test_unpaid_completed_waits_for_async_success(user, stripe_fake):
    topup = topups.start_topup(user.id, 800, **URLS)
    unpaid = dict(stripe_fake.sessions[topup.session_id], payment_status="unpaid")
    assert deliver("checkout.session.completed", unpaid)["applied"] is False
    assert tx_count() == 0
    paid = stripe_fake.pay(topup.session_id)
    assert deliver("checkout.session.async_payment_succeeded", paid)["applied"] is True


def test_unknown_events_are_acknowledged_and_ignored(user, stripe_fake):
    result = deliver("customer.created", {"id": "cus_1", "object": "customer"})
    assert result == {"received": True, "applied": False, "status": "ignored: event_type"}
    assert tx_count() == 0


@pytest.mark.parametrize("tamper", ["forged", "stale", "missing", "other_secret", "edited"])
def test_bad_signatures_are_refused_and_nothing_is_written(user, stripe_fake, tamper):
    topup = topups.start_topup(user.id, 2500, **URLS)
    payload = event_payload("checkout.session.completed", stripe_fake.pay(topup.session_id))
    header = sign(payload, WEBHOOK_SECRET)
    if tamper == "forged":
        header = header[:-4] + "0000"
    elif tamper == "stale":
        header = sign(payload, WEBHOOK_SECRET, int(time.time()) - 301)
    elif tamper == "missing":
        header = None
    elif tamper == "other_secret":
        header = sign(payload, "whsec_attacker")
    elif tamper == "edited":
        payload = payload.replace(b'"amount_total": 2500', b'"amount_total": 9999999')
    with pytest.raises(Invalid) as err:
        topups.handle_webhook(payload, header)
    assert err.value.code == "bad_signature"
    assert tx_count() == 0 and PaymentEvent.objects.count() == 0


def test_success_page_confirms_by_asking_stripe(user, stripe_fake):
    topup = topups.start_topup(user.id, 1500, **URLS)
    assert topups.confirm_topup(user.id, topup.session_id).status == "open"
    stripe_fake.pay(topup.session_id)
    assert topups.confirm_topup(user.id, topup.session_id).status == "credited"
    deliver("checkout.session.completed", stripe_fake.sessions[topup.session_id])
    assert get_balance(user.id)["credit_cents"] == 1500
    with pytest.raises(NotAllowed):
        topups.confirm_topup(UserFactory().id, topup.session_id)


def test_events_three_times_shuffled_and_concurrent_with_the_success_page(app, user, stripe_fake):
    topup = topups.start_topup(user.id, 5000, **URLS)
    paid = stripe_fake.pay(topup.session_id)
    payloads = [event_payload(t, paid, f"evt_{t}") for t in topups.APPLIED_EVENTS] * 3
    random.shuffle(payloads)
    errors = []

    def run(fn):
        with app.app_context():
            try:
                fn()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(lambda p=p: topups.handle_webhook(p, sign(p, WEBHOOK_SECRET)),))
               for p in payloads]
    threads.append(threading.Thread(target=run, args=(lambda: topups.confirm_topup(user.id, topup.session_id),)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert get_balance(user.id)["credit_cents"] == 5000
    ok()


def test_redeem_moves_earnings_to_a_pending_payout_without_stripe(user):
    fund(user, credit=50_000, earnings=5000)
    payout = payouts.redeem_earnings(user.id, 1500)
    assert (payout.status, payout.destination) == ("pending", "manual")
    assert get_balance(user.id) == {"credit_cents": 50_000, "earnings_cents": 3500, "total_cents": 53_500}
    ok()


@pytest.mark.parametrize("amount", [999, -1000, 10.5, "1e4", None])
def test_redeem_amount_is_checked(user, amount):
    fund(user, earnings=5000)
    with pytest.raises(Invalid):
        payouts.redeem_earnings(user.id, amount)
    assert get_balance(user.id)["earnings_cents"] == 5000


def test_redeeming_more_than_earnings_or_credit_is_402(user):
    fund(user, credit=1_000_000, earnings=2000)
    with pytest.raises(InsufficientFunds):
        payouts.redeem_earnings(user.id, 2001)
    assert get_balance(user.id) == {"credit_cents": 1_000_000, "earnings_cents": 2000, "total_cents": 1_002_000}
    assert payouts.list_payouts(user_id=user.id) == []


def test_connected_account_payout_is_transferred_through_stripe(user, stripe_fake):
    fund(user, earnings=5000)
    url = payouts.start_onboarding(user, refresh_url="http://localhost/wallet", return_url="http://localhost/wallet")
    assert url.startswith("https://connect.stripe.test/setup/acct_test_")
    payout = payouts.redeem_earnings(user.id, 2000)
    assert payout.status == "paid" and payout.stripe_transfer_id.startswith("tr_test_")
    transfer = stripe_fake.calls("POST", "/v1/transfers")[0]
    assert transfer["body"]["amount"] == "2000" and transfer["idempotency_key"] == f"payout-{payout.id}"
    assert get_balance(user.id)["earnings_cents"] == 3000
    ok()


def test_failed_transfer_returns_the_money(user, stripe_fake):
    fund(user, earnings=5000)
    payouts.start_onboarding(user, refresh_url="http://localhost/w", return_url="http://localhost/w")
    stripe_fake.fail_transfers = True
    payout = payouts.redeem_earnings(user.id, 2000)
    assert payout.status == "failed"
    assert get_balance(user.id)["earnings_cents"] == 5000
    ok()


def test_operator_approves_or_rejects(user):
    from app.extensions import db

    admin = UserFactory(is_admin=True)
    fund(user, earnings=5000)
    first = payouts.redeem_earnings(user.id, 1000)
    second = payouts.redeem_earnings(user.id, 2000)
    assert payouts.approve_payout(admin, first.id).status == "paid"
    assert payouts.reject_payout(admin, second.id, reason="Check identity").status == "rejected"
    db.session.commit()
    assert get_balance(user.id)["earnings_cents"] == 4000
    from app.services.errors import Conflict

    with pytest.raises(Conflict):
        payouts.reject_payout(admin, first.id)
    ok()


def test_onboarding_without_keys_says_not_configured(user):
    with pytest.raises(PaymentsNotConfigured):
        payouts.start_onboarding(user, refresh_url="http://x/", return_url="http://x/")


def test_no_answer_from_stripe_leaves_the_payout_sending(app, user, stripe_fake):
    fund(user, earnings=5000)
    payouts.start_onboarding(user, refresh_url="http://localhost/w", return_url="http://localhost/w")
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    try:
        payout = payouts.redeem_earnings(user.id, 2000)
    finally:
        app.config["STRIPE_API_BASE"] = stripe_fake.url
    assert payout.status == "sending"
    assert get_balance(user.id)["earnings_cents"] == 3000
    assert payouts.send_payout(payout.id).status == "paid"
    ok()
