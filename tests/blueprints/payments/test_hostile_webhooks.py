"""Signed but odd Stripe events: acknowledged (2xx), recorded with the reason, never credited,
and listed for admins. A bad signature is still 400 and stores nothing."""

import json

import pytest
import sqlalchemy as sa
from flask import g

from app.documents.payments import PaymentEvent
from app.models.ledger import LedgerTransaction
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session
from tests.conftest import bearer, sign_in
from tests.factories import UserFactory
from tests.fakes.stripe_server import event_payload, sign
from tests.payments_fixtures import WEBHOOK_SECRET

COMPLETED = "checkout.session.completed"


def tx_count():
    with read_session() as session:
        return session.scalar(sa.select(sa.func.count(LedgerTransaction.id)))


def post(client, payload: bytes, secret=WEBHOOK_SECRET):
    g.pop("_login_user", None)
    return client.post("/webhook/stripe", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign(payload, secret)})


def verify(app):
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "ledger ok" in result.output, result.output


@pytest.fixture
def paid(client, user, stripe_fake):
    """A real top-up of 2500 cents by `user`, paid at Stripe, not yet credited."""
    headers = bearer(client.application, user)
    session_id = client.post("/api/payment/create-checkout-session", json={"amount_cents": 2500},
                             headers=headers).json["session_id"]
    return dict(stripe_fake.pay(session_id))


def _event(obj, **top) -> bytes:
    event = json.loads(event_payload(COMPLETED, obj))
    event.update(top)
    return json.dumps(event).encode()


def _odd(name: str, paid: dict, other_id: int) -> bytes:
    meta = paid["metadata"]
    cases = {
        "empty_list": lambda: b"[]",
        "null": lambda: b"null",
        "string_body": lambda: b'"evt_1"',
        "not_json": lambda: b"{not json",
        "object_is_string": lambda: _event("cs_test_x"),
        "object_is_list": lambda: _event([paid]),
        "data_missing": lambda: _event(paid, data=None),
        "event_id_list": lambda: _event(paid, id=["evt_1"]),
        "event_id_not_evt": lambda: _event(paid, id="cs_1"),
        "type_list": lambda: _event(paid, type=[COMPLETED]),
        "session_id_list": lambda: _event(dict(paid, id=[paid["id"]])),
        "metadata_string": lambda: _event(dict(paid, metadata="topup")),
        "amount_1e20": lambda: _event(dict(paid, amount_total=1e20)),
        "amount_huge_int": lambda: _event(dict(paid, amount_total=10**30)),
        "amount_negative": lambda: _event(dict(paid, amount_total=-2500)),
        "amount_string": lambda: _event(dict(paid, amount_total="2500")),
        "amount_float": lambda: _event(dict(paid, amount_total=2500.0)),
        "amount_bool": lambda: _event(dict(paid, amount_total=True)),
        "amount_other": lambda: _event(dict(paid, amount_total=600)),
        "currency": lambda: _event(dict(paid, currency="eur")),
        "user_out_of_range": lambda: _event(dict(paid, client_reference_id="9" * 30,
                                                 metadata=dict(meta, user_id="9" * 30))),
        "user_list": lambda: _event(dict(paid, client_reference_id=[1], metadata=dict(meta, user_id=[1]))),
        "user_missing": lambda: _event(dict(paid, client_reference_id=None, metadata=dict(meta, user_id=None))),
        "user_unknown_no_topup": lambda: _event(dict(paid, id="cs_test_nobody", client_reference_id="987654",
                                                     metadata=dict(meta, user_id="987654"))),
        "user_unknown": lambda: _event(dict(paid, client_reference_id="987654",
                                            metadata=dict(meta, user_id="987654"))),
        "users_disagree": lambda: _event(dict(paid, metadata=dict(meta, user_id=str(other_id)))),
        "other_user": lambda: _event(dict(paid, client_reference_id=str(other_id),
                                          metadata=dict(meta, user_id=str(other_id)))),
        "unknown_session": lambda: _event(dict(paid, id="cs_test_not_ours")),
    }
    return cases[name]()


REASONS = {
    "empty_list": "malformed", "null": "malformed", "string_body": "malformed", "not_json": "malformed",
    "object_is_string": "malformed", "object_is_list": "malformed",
    "data_missing": "malformed", "event_id_list": "malformed", "event_id_not_evt": "malformed",
    "type_list": "malformed", "session_id_list": "malformed", "metadata_string": "malformed",
    "amount_1e20": "bad_amount", "amount_huge_int": "bad_amount", "amount_negative": "bad_amount",
    "amount_string": "bad_amount", "amount_float": "bad_amount", "amount_bool": "bad_amount",
    "amount_other": "amount_mismatch", "currency": "bad_currency", "user_out_of_range": "unknown_user",
    "user_list": "unknown_user", "user_missing": "unknown_user", "user_unknown_no_topup": "unknown_user",
    "user_unknown": "unknown_user", "users_disagree": "user_mismatch", "other_user": "user_mismatch",
    "unknown_session": "unknown_session",
}


@pytest.mark.parametrize("name", sorted(REASONS))
def test_odd_signed_event_is_recorded_not_credited_and_shown_to_admins(app, client, make_client, user, paid, name):
    other, admin = UserFactory(), UserFactory(is_admin=True)
    get_balance(user.id), get_balance(other.id)  # the sign-up grants happen on the first read
    before = (tx_count(), get_balance(user.id), get_balance(other.id))
    payload = _odd(name, paid, other.id)
    for _ in range(2):  # a retry is acknowledged the same way
        r = post(client, payload)
        assert r.status_code == 200, r.get_data(as_text=True)
        assert r.json == {"received": True, "applied": False, "status": f"rejected: {REASONS[name]}"}
    assert (tx_count(), get_balance(user.id), get_balance(other.id)) == before
    verify(app)
    [event] = PaymentEvent.objects(status="rejected")
    assert event.reason == REASONS[name] and event.deliveries == 2
    assert event.payload == payload.decode()

    page = make_client()
    sign_in(page, admin)
    g.pop("_login_user", None)
    html = page.get("/admin/payments/events").get_data(as_text=True)
    assert event.event_id in html and f"rejected: {REASONS[name]}" in html

    # The real event still credits, once.
    good = event_payload(COMPLETED, paid, "evt_good")
    assert post(client, good).json["applied"] is True
    assert post(client, good).json == {"received": True, "applied": False, "status": "duplicate"}
    assert get_balance(user.id)["credit_cents"] == before[1]["credit_cents"] + 2500
    assert PaymentEvent.objects(event_id="evt_good").first().status == "applied"
    verify(app)


def test_normal_event_credits_once_and_replays_do_not(app, client, user, paid):
    start = get_balance(user.id)["credit_cents"]
    payload = event_payload(COMPLETED, paid, "evt_normal")
    statuses = [post(client, payload).json["status"] for _ in range(3)]
    async_ok = event_payload("checkout.session.async_payment_succeeded", paid, "evt_async")
    statuses.append(post(client, async_ok).json["status"])
    assert statuses == ["applied", "duplicate", "duplicate", "duplicate"]
    assert get_balance(user.id)["credit_cents"] == start + 2500
    assert PaymentEvent.objects(event_id="evt_normal").first().status == "applied"
    assert PaymentEvent.objects(event_id="evt_async").first().status == "duplicate"
    assert PaymentEvent.objects(status="rejected").count() == 0
    verify(app)


def test_bad_signature_is_400_and_stores_nothing(client, user, paid):
    for payload in (b"[]", _event("x"), event_payload(COMPLETED, paid)):
        r = post(client, payload, secret="whsec_attacker")
        assert r.status_code == 400 and r.json["error"]["code"] == "bad_signature"
    # JSON nested deeper than Python parses is refused before any view, signed or not.
    r = post(client, b"[" * 10_000 + b"]" * 10_000)
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_payload"
    assert PaymentEvent.objects.count() == 0 and tx_count() == 0


def test_unpaid_and_other_events_are_ignored_not_rejected(client, user, paid):
    r = post(client, event_payload(COMPLETED, dict(paid, payment_status="unpaid")))
    assert r.status_code == 200 and r.json["status"] == "ignored: unpaid"
    r = post(client, event_payload("customer.created", {"id": "cus_1", "object": "customer"}))
    assert r.status_code == 200 and r.json["status"] == "ignored: event_type"
    assert PaymentEvent.objects(status="rejected").count() == 0


@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_payment_events_page_is_admin_only(client, make_client, user, stripe_fake, who):
    assert post(client, _event("cs_test_x")).json["applied"] is False
    [event] = PaymentEvent.objects(status="rejected")
    page = make_client()
    if who == "user":
        sign_in(page, user)
    g.pop("_login_user", None)
    response = page.get("/admin/payments/events")
    assert response.status_code in (403, 404)
    html = response.get_data(as_text=True)
    assert 'id="error-' in html and event.event_id not in html and "cs_test_x" not in html
