"""The sign-up grant: SIGNUP_GRANT_CENTS of non-redeemable credit, once per user.

Exactly once by its idempotency key `signup_grant:<user id>`. A new account is granted right
after the request that created it commits (the user row lives in another bind, so the grant
never exists for a user whose creation rolled back); a user without any ledger account yet is
granted on first balance read; `flask ledger grant-missing` covers everyone else."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import User
from app.models.ledger import LedgerTransaction
from app.services.accounts.registration import user_created
from app.services.payments.ledger import (
    SYSTEM_SIGNUP,
    AlreadyApplied,
    Leg,
    credit_code,
    lock_accounts,
    money_session,
    post,
    read_session,
)

log = logging.getLogger("dreamdot.payments")


def grant_key(user_id: int) -> str:
    return f"signup_grant:{int(user_id)}"


def grant_signup(user_id: int) -> bool:
    """Grant the sign-up credit; False when it was already granted."""
    amount = int(current_app.config["SIGNUP_GRANT_CENTS"])
    if amount <= 0:
        return False
    try:
        with money_session() as session:
            accounts = lock_accounts(session, [credit_code(user_id), SYSTEM_SIGNUP])
            post(
                session, "signup_grant", grant_key(user_id),
                [Leg(accounts[credit_code(user_id)], amount), Leg(accounts[SYSTEM_SIGNUP], -amount)],
                memo="Welcome to DreamDot: sign-up credit",
            )
    except AlreadyApplied:
        return False
    return True


def grant_missing() -> int:
    """Grant every existing user who has no grant yet; returns how many were granted."""
    user_ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    with read_session() as session:
        done = set(session.scalars(
            sa.select(LedgerTransaction.idempotency_key).where(LedgerTransaction.kind == "signup_grant")
        ))
    return sum(1 for uid in user_ids if grant_key(uid) not in done and grant_signup(uid))


def _grant_after_commit(user_id: int):
    def after_commit(_session):
        # The user row is committed now (or this runs for a later commit: check it exists).
        users = Session(bind=db.engines["users"])
        try:
            exists = users.scalar(sa.select(User.id).where(User.id == user_id)) is not None
        finally:
            users.close()
        if exists:
            try:
                grant_signup(user_id)
            except Exception:  # noqa: BLE001 - the balance read and grant-missing retry it
                log.exception("sign-up grant for user %s failed; it will be retried", user_id)

    return after_commit


def on_user_created(user: User) -> None:
    sa.event.listen(db.session(), "after_commit", _grant_after_commit(user.id), once=True)


def connect_signals() -> None:
    user_created.connect(on_user_created, weak=False)
