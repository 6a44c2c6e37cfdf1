"""Credit top-ups through Stripe Checkout, applied exactly once per checkout session.

The idempotency key of the ledger transaction is `topup:<checkout session id>`, so the
`checkout.session.completed` and `...async_payment_succeeded` pair, replays, and the success
page confirming at the same moment all credit once."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets

import sqlalchemy as sa
import stripe
from flask import current_app

from app.documents.payments import PaymentEvent
from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.ledger import TopUp
from app.services.errors import Invalid, NotAllowed, NotFound
from app.services.ids import as_id
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
ID_MAX_CHARS = 255
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


class Rejected(Exception):
    """A signed event DreamDot cannot apply: recorded with its reason, never credited."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(value, prefix: str = "") -> str | None:
    """`value` when it is a Stripe-like identifier: a short string starting with `prefix`."""
    if isinstance(value, str) and value.startswith(prefix) and 0 < len(value) <= ID_MAX_CHARS and value.isprintable():
        return value
    return None


def _checked_session(checkout) -> tuple[str, int, int] | str:
    """(session id, user id, amount) of a paid top-up session as Stripe documents it, or the
    word saying why it is not applied ("unpaid", "not_topup"); Rejected when it is odd."""
    if not isinstance(checkout, dict):
        raise Rejected("malformed")
    session_id = _text(checkout.get("id"), "cs_")
    metadata = checkout.get("metadata") or {}
    status = checkout.get("payment_status")
    if session_id is None or not isinstance(metadata, dict) or not isinstance(status, str):
        raise Rejected("malformed")
    if status != "paid":
        return "unpaid"
    if metadata.get("purpose") != "topup":
        return "not_topup"
    amount = checkout.get("amount_total")
    if type(amount) is not int or not TOPUP_MIN_CENTS <= amount <= TOPUP_MAX_CENTS:
        raise Rejected("bad_amount")
    if checkout.get("currency") != "usd":
        raise Rejected("bad_currency")
    refs = [r for r in (checkout.get("client_reference_id"), metadata.get("user_id")) if r is not None]
    if not refs or not all(isinstance(r, str) for r in refs):
        raise Rejected("unknown_user")
    if len(set(refs)) > 1:
        raise Rejected("user_mismatch")
    user_id = as_id(refs[0])
    if user_id is None or db.session.get(User, user_id) is None:
        raise Rejected("unknown_user")
    return session_id, user_id, amount


def apply_checkout(checkout) -> str:
    """Credit a paid top-up session once. The outcome: "applied" when this call credited it,
    "duplicate" when it was credited before, "ignored: <why>", or "rejected: <reason>"."""
    try:
        checked = _checked_session(checkout)
        if isinstance(checked, str):
            return f"ignored: {checked}"
        session_id, user_id, amount = checked
        with money_session() as session:
            topup = session.scalar(sa.select(TopUp).where(TopUp.session_id == session_id))
            if topup is None:
                raise Rejected("unknown_session")
            if topup.user_id != user_id:
                raise Rejected("user_mismatch")
            if topup.amount_cents != amount:
                raise Rejected("amount_mismatch")
            accounts = lock_accounts(session, [credit_code(user_id), SYSTEM_STRIPE])
            tx_id = post(session, "topup", f"topup:{session_id}",
                         [Leg(accounts[credit_code(user_id)], amount), Leg(accounts[SYSTEM_STRIPE], -amount)],
                         memo="Top-up through Stripe")
            topup.status, topup.transaction_id, topup.credited_at = "credited", tx_id, utcnow()
    except AlreadyApplied:
        return "duplicate"
    except Rejected as exc:
        log.warning("checkout session not credited: %s", exc.reason)
        return f"rejected: {exc.reason}"
    return "applied"


def apply_checkout_session(checkout) -> bool:
    """Credit a paid top-up session once. True when this call credited it."""
    return apply_checkout(checkout) == "applied"


def handle_webhook(payload: bytes, signature: str | None) -> dict:
    """Verify, store and apply one Stripe event. A signed event that cannot be applied is
    stored with the reason and acknowledged, so Stripe stops sending it; only a bad signature
    (nothing stored) or a body that is not UTF-8 (which cannot be verified) is refused."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise stripe_gateway.PaymentsNotConfigured()
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("The event is not UTF-8.", code="invalid_payload") from None
    try:
        stripe.WebhookSignature.verify_header(text, signature, secret, SIGNATURE_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        raise Invalid("The Stripe signature does not match.", code="bad_signature") from None
    event_id, event_type, obj = _checked_event(payload, text)
    _store_event(event_id, event_type, payload)
    if obj is None:
        outcome = "rejected: malformed"
    else:
        outcome = apply_checkout(obj) if event_type in APPLIED_EVENTS else "ignored: event_type"
    _record_outcome(event_id, outcome)
    return {"received": True, "applied": outcome == "applied", "status": outcome}


def _checked_event(payload: bytes, text: str) -> tuple[str, str, dict | None]:
    """(event id, type, data.object) of a signed body; the object is None when the event is
    malformed (not an object with an `evt_` id, a type and an object in `data.object`), and
    a malformed event without a usable id is named by the hash of its body."""
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        event = None
    event_id = _text(event.get("id"), "evt_") if isinstance(event, dict) else None
    event_type = _text(event.get("type")) if isinstance(event, dict) else None
    data = event.get("data") if isinstance(event, dict) else None
    if event_id is None:
        event_id = "malformed_" + hashlib.sha256(payload).hexdigest()[:32]
    if event_type is None or not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        log.warning("signed Stripe event %s is malformed: not applied", event_id)
        return event_id, event_type or "(malformed)", None
    if event_id.startswith("malformed_"):
        return event_id, event_type, None
    return event_id, event_type, data["object"]


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


def _record_outcome(event_id: str, outcome: str) -> None:
    """The event's status and reason; a replay of an applied event leaves it "applied"."""
    status, _, reason = outcome.partition(": ")
    query = PaymentEvent.objects(event_id=event_id)
    if status == "duplicate":
        query = query.filter(status__ne="applied")
    query.update_one(set__status=status, set__reason=reason or None)


def unapplied_events(limit: int = 100) -> list[PaymentEvent]:
    """The signed events that were rejected, the latest first (the admin page)."""
    return list(PaymentEvent.objects(status="rejected").order_by("-last_received_at").limit(limit))


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
