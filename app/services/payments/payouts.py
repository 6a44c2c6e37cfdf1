"""Redeeming earnings: a payout row and the money out of earnings in one transaction; then,
outside the lock, a Stripe transfer to the creator's connected account, or an operator's
decision. A failed or rejected payout gives the money back to earnings."""

from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
import stripe

from app.models.base import utcnow
from app.models.ledger import ConnectedAccount, Payout
from app.services import NO_ORIGIN, Origin
from app.services.audit import record_event
from app.services.errors import Conflict, NotFound
from app.services.notifications import notify
from app.services.payments import stripe_gateway
from app.services.payments.amounts import dollars, parse_cents
from app.services.payments.ledger import (
    SYSTEM_PAYOUTS,
    AlreadyApplied,
    Leg,
    earnings_code,
    lock_accounts,
    money_session,
    post,
    read_session,
)

log = logging.getLogger("dreamdot.payments")

PAYOUT_MIN_CENTS = 1_000
PAYOUT_MAX_CENTS = 100_000_000


def connected_account_id(user_id: int) -> str | None:
    with read_session() as session:
        return session.scalar(sa.select(ConnectedAccount.stripe_account_id).where(ConnectedAccount.user_id == user_id))


def redeem_earnings(user_id: int, amount) -> Payout:
    """Move `amount` cents out of earnings into a payout (402 when earnings are short)."""
    amount_cents = parse_cents(amount, minimum=PAYOUT_MIN_CENTS, maximum=PAYOUT_MAX_CENTS)
    destination = connected_account_id(user_id) if stripe_gateway.is_configured() else None
    with money_session() as session:
        accounts = lock_accounts(session, [earnings_code(user_id), SYSTEM_PAYOUTS])
        tx_id = post(session, "payout", f"payout:{secrets.token_hex(16)}",
                     [Leg(accounts[earnings_code(user_id)], -amount_cents), Leg(accounts[SYSTEM_PAYOUTS], amount_cents)],
                     memo="Withdrawal of earnings")
        payout = Payout(user_id=user_id, amount_cents=amount_cents, transaction_id=tx_id,
                        status="sending" if destination else "pending",
                        destination="stripe" if destination else "manual", stripe_account_id=destination)
        session.add(payout)
    if destination:
        payout = send_payout(payout.id)
    return payout


def send_payout(payout_id: int) -> Payout:
    """Transfer a `sending` payout through Stripe (no lock held); on refusal, reverse it."""
    payout = _get(payout_id)
    if payout.status != "sending":
        return payout
    try:
        transfer = stripe_gateway.create_transfer(amount_cents=payout.amount_cents,
                                                  destination=payout.stripe_account_id, payout_id=payout.id)
    except stripe.APIConnectionError as exc:
        # The outcome is unknown (Stripe may have made the transfer): keep it `sending`; sending
        # again later reuses the idempotency key, so it can never be paid twice.
        log.warning("payout %s: no answer from Stripe, left sending: %s", payout.id, exc)
        return payout
    except stripe.StripeError as exc:
        log.warning("payout %s: Stripe transfer failed: %s", payout.id, exc)
        return _reverse(payout.id, "failed", reason=str(exc.user_message or "Stripe refused the transfer")[:300])
    with money_session() as session:
        row = session.get(Payout, payout.id, with_for_update=True)
        if row.status == "sending":
            row.status, row.stripe_transfer_id = "paid", transfer.id
    return _get(payout.id)


def _reverse(payout_id: int, status: str, *, reason: str | None = None, decided_by: int | None = None) -> Payout:
    try:
        with money_session() as session:
            payout = session.get(Payout, payout_id, with_for_update=True)
            if payout.status not in ("pending", "sending"):
                raise Conflict("That payout is already decided.", code="already_decided")
            accounts = lock_accounts(session, [earnings_code(payout.user_id), SYSTEM_PAYOUTS])
            tx_id = post(session, "payout_reversal", f"payout_reversal:{payout.id}",
                         [Leg(accounts[earnings_code(payout.user_id)], payout.amount_cents),
                          Leg(accounts[SYSTEM_PAYOUTS], -payout.amount_cents)],
                         memo=f"Payout #{payout.id} {status}: money back to earnings")
            payout.status, payout.reversal_transaction_id = status, tx_id
            payout.failure_reason, payout.decided_by, payout.decided_at = reason, decided_by, utcnow()
    except AlreadyApplied:
        pass
    return _get(payout_id)


def approve_payout(admin, payout_id: int, *, origin: Origin = NO_ORIGIN) -> Payout:
    """An operator paid it outside Stripe: mark it paid."""
    with money_session() as session:
        payout = session.get(Payout, payout_id, with_for_update=True)
        if payout is None:
            raise NotFound("There is no such payout.")
        if payout.status != "pending":
            raise Conflict("That payout is already decided.", code="already_decided")
        payout.status, payout.decided_by, payout.decided_at = "paid", admin.id, utcnow()
    notify(payout.user_id, "payout", text=f"Your withdrawal of {dollars(payout.amount_cents)} was paid.",
           url="/wallet")
    record_event("payout_approved", user_id=admin.id, origin=origin, target_type="payout", target_id=payout_id,
                 amount_cents=payout.amount_cents, payee_id=payout.user_id)
    return payout


def reject_payout(admin, payout_id: int, *, reason: str = "", origin: Origin = NO_ORIGIN) -> Payout:
    payout = _get(payout_id)
    if payout.status != "pending":
        raise Conflict("That payout is already decided.", code="already_decided")
    payout = _reverse(payout_id, "rejected", reason=(reason or "Rejected by an operator")[:300], decided_by=admin.id)
    notify(payout.user_id, "payout", url="/wallet",
           text=f"Your withdrawal of {dollars(payout.amount_cents)} was rejected; the money is back in your earnings.")
    record_event("payout_rejected", user_id=admin.id, origin=origin, target_type="payout", target_id=payout_id,
                 amount_cents=payout.amount_cents, payee_id=payout.user_id)
    return payout


def list_payouts(*, status: str | None = None, user_id: int | None = None, limit: int = 100) -> list[Payout]:
    query = sa.select(Payout).order_by(Payout.id.desc()).limit(limit)
    if status:
        query = query.where(Payout.status == status)
    if user_id is not None:
        query = query.where(Payout.user_id == user_id)
    with read_session() as session:
        return list(session.scalars(query))


def _get(payout_id: int) -> Payout:
    with read_session() as session:
        payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound("There is no such payout.")
    return payout


def start_onboarding(user, *, refresh_url: str, return_url: str) -> str:
    """The Stripe Connect onboarding link for `user` (creating the account once)."""
    stripe_gateway.client()
    account_id = connected_account_id(user.id)
    if account_id is None:
        account = stripe_gateway.create_connected_account(user_id=user.id, email=user.email)
        try:
            with money_session() as session:
                session.add(ConnectedAccount(user_id=user.id, stripe_account_id=account.id))
        except sa.exc.IntegrityError:
            pass  # linked by a concurrent request (the same idempotent Stripe account)
        account_id = connected_account_id(user.id)
    link = stripe_gateway.create_account_link(account_id=account_id, refresh_url=refresh_url, return_url=return_url)
    return link.url


def serialize_payout(payout: Payout) -> dict:
    return {"id": payout.id, "amount_cents": int(payout.amount_cents), "status": payout.status,
            "destination": payout.destination, "created_at": payout.created_at.isoformat()}
