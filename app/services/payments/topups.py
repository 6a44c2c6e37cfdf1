"""Credit top-ups through Stripe Checkout, applied exactly once per checkout session.

The idempotency key of the ledger transaction is `topup:<checkout session id>`, so the
`checkout.session.completed` and `...async_payment_succeeded` pair, replays, and the success
page confirming at the same moment all credit once."""

from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
import stripe
from flask import current_app

from app.documents.payments import PaymentEvent
from app.models.base import utcnow
from app.models.ledger import TopUp
from app.services.errors import Invalid, NotAllowed, NotFound
from app.services.ids import as_id
from app.services.numbers import BIGINT_MAX, to_int
from app.services.payments import stripe_gateway
from app.services.payments.amounts import parse_cents
from app.services.payments.ledger import (
    SYSTEM_STRIPE,
    AlreadyApplied,
    Leg,
    credit_code,
    lock_accounts,
    money_session,
    post,
    read_session,
)

log = logging.getLogger("dreamdot.payments")

TOPUP_MIN_CENTS = 500
TOPUP_MAX_CENTS = 1_000_000
SIGNATURE_TOLERANCE_SECONDS = 300
APPLIED_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def start_topup(user_id: int, amount, *, success_url: str, cancel_url: str) -> TopUp:
    """Create a Checkout session for `amount` cents; the TopUp row remembers it."""
    amount_cents = parse_cents(amount, minimum=TOPUP_MIN_CENTS, maximum=TOPUP_MAX_CENTS)
    stripe_gateway.client()  # says "not configured" before anything else
    key = secrets.token_hex(16)
    checkout = stripe_gateway.create_checkout_session(
        user_id=user_id, amount_cents=amount_cents, key=key, success_url=success_url, cancel_url=cancel_url
    )
    topup = TopUp(user_id=user_id, session_id=checkout.id, idempotency_key=key, amount_cents=amount_cents)
    with money_session() as session:
        session.add(topup)
    topup.url = checkout.url
    return topup


def apply_checkout_session(checkout: dict) -> bool:
    """Credit a paid top-up session once. True when this call credited it."""
    if checkout.get("payment_status") != "paid":
        return False
    metadata = checkout.get("metadata") or {}
    if metadata.get("purpose") != "topup":
        return False
    session_id = checkout.get("id")
    user_ref = checkout.get("client_reference_id") or metadata.get("user_id")
    amount = checkout.get("amount_total")
    user_id = as_id(user_ref)
    if not session_id or user_id is None or to_int(amount, minimum=1, maximum=BIGINT_MAX, strings=False) is None:
        log.warning("checkout session %s without a usable user or amount: ignored", session_id)
        return False
    try:
        with money_session() as session:
            topup = session.scalar(sa.select(TopUp).where(TopUp.session_id == session_id))
            if topup is not None and topup.user_id != user_id:
                log.warning("checkout session %s names another user than its top-up: ignored", session_id)
                return False
            accounts = lock_accounts(session, [credit_code(user_id), SYSTEM_STRIPE])
            tx_id = post(session, "topup", f"topup:{session_id}",
                         [Leg(accounts[credit_code(user_id)], amount), Leg(accounts[SYSTEM_STRIPE], -amount)],
                         memo="Top-up through Stripe")
            if topup is not None:
                topup.status, topup.transaction_id, topup.credited_at = "credited", tx_id, utcnow()
    except AlreadyApplied:
        return False
    return True


def handle_webhook(payload: bytes, signature: str | None) -> dict:
    """Verify, store and apply one Stripe event. Unknown events are acknowledged."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise stripe_gateway.PaymentsNotConfigured()
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        raise Invalid("The Stripe signature does not match.", code="bad_signature") from None
    except ValueError:
        raise Invalid("The event is not valid JSON.", code="invalid_payload") from None
    event = event.to_dict()
    event_id, event_type = event.get("id"), event.get("type")
    if not event_id or not event_type:
        raise Invalid("The event has no id or type.", code="invalid_payload")
    _store_event(event_id, event_type, payload)
    applied = False
    if event_type in APPLIED_EVENTS:
        applied = apply_checkout_session((event.get("data") or {}).get("object") or {})
    return {"received": True, "applied": applied}


def _store_event(event_id: str, event_type: str, payload: bytes) -> None:
    now = utcnow()
    PaymentEvent.objects(event_id=event_id).update_one(
        upsert=True,
        set_on_insert__type=event_type,
        set_on_insert__payload=payload.decode("utf-8", "replace"),
        set_on_insert__received_at=now,
        set__last_received_at=now,
        inc__deliveries=1,
    )


def confirm_topup(user_id: int, session_id: str) -> TopUp:
    """The success page: ask Stripe (outside any lock) and credit when paid."""
    with read_session() as session:
        topup = session.scalar(sa.select(TopUp).where(TopUp.session_id == session_id))
    if topup is None:
        raise NotFound("There is no such top-up.")
    if topup.user_id != user_id:
        raise NotAllowed("That top-up is not yours.")
    if topup.status != "credited":
        checkout = stripe_gateway.retrieve_checkout_session(session_id)
        apply_checkout_session(checkout.to_dict())
        with read_session() as session:
            topup = session.scalar(sa.select(TopUp).where(TopUp.session_id == session_id))
    return topup
