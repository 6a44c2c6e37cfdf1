"""The double-entry ledger: the one place where balances change.

Every money operation runs in `money_session()`: its own transaction on the `items` bind
(BEGIN IMMEDIATE on SQLite, row locks with SELECT ... FOR UPDATE on PostgreSQL), committed
or rolled back here, never by the request's unit of work. Inside it, `lock_accounts` locks the
user accounts involved in id order (so two transactions never wait on each other in a
circle), and `post` writes a transaction whose entries sum to zero and moves the cached
balances, refusing any user balance below zero. No network call is made inside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from app.services.errors import InsufficientFunds, Invalid

SYSTEM_SIGNUP = "system:signup_grant"
SYSTEM_STRIPE = "system:stripe"
SYSTEM_PAYOUTS = "system:payouts"
SYSTEM_FEES = "system:platform_fees"
SYSTEM_CODES = (SYSTEM_SIGNUP, SYSTEM_STRIPE, SYSTEM_PAYOUTS, SYSTEM_FEES)


class AlreadyApplied(Exception):
    """The idempotency key of a transaction is already in the ledger: nothing was written."""


def credit_code(user_id: int) -> str:
    return f"user:{int(user_id)}:credit"


def earnings_code(user_id: int) -> str:
    return f"user:{int(user_id)}:earnings"


def items_engine() -> sa.Engine:
    return db.engines["items"]


@contextmanager
def money_session() -> Iterator[Session]:
    """A session owning one write transaction on the items bind; commits on success."""
    engine = items_engine()
    connection = engine.connect()
    try:
        if engine.dialect.name == "sqlite":
            # Read by app.services.stores' begin hook: take the write lock at BEGIN, so two
            # money transactions never both read a balance and then both write it.
            connection.info["sqlite_begin"] = "BEGIN IMMEDIATE"
        connection.begin()
        session = Session(bind=connection, join_transaction_mode="control_fully", expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    finally:
        connection.info.pop("sqlite_begin", None)
        connection.close()


@contextmanager
def read_session() -> Iterator[Session]:
    session = Session(bind=items_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def blocked_between(a_id: int, b_id: int) -> bool:
    """The block rule of `social.blocks.is_blocked_between`, read on a short session of its
    own and closed before any ledger lock is taken: a money transaction never holds a
    connection to another bind while it waits for a lock."""
    from app.models.social import Block

    if not a_id or not b_id or a_id == b_id:
        return False
    with Session(bind=db.engines["social"]) as session:
        return session.scalar(
            sa.select(sa.literal(1)).select_from(Block).where(sa.or_(
                sa.and_(Block.blocker_id == a_id, Block.blocked_id == b_id),
                sa.and_(Block.blocker_id == b_id, Block.blocked_id == a_id),
            )).limit(1)
        ) is not None


def _insert(session: Session):
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def ensure_accounts(session: Session, codes: list[str]) -> None:
    """Create the accounts that do not exist yet (safe under concurrency: ON CONFLICT)."""
    existing = set(session.scalars(sa.select(LedgerAccount.code).where(LedgerAccount.code.in_(codes))))
    missing = [c for c in codes if c not in existing]
    if not missing:
        return
    rows = [_account_row(code) for code in missing]
    session.execute(_insert(session)(LedgerAccount).values(rows).on_conflict_do_nothing(index_elements=["code"]))


def _account_row(code: str) -> dict:
    from app.models.base import utcnow

    parts = code.split(":")
    if parts[0] == "user":
        return {"code": code, "user_id": int(parts[1]), "kind": parts[2], "balance_cents": 0, "created_at": utcnow()}
    return {"code": code, "user_id": None, "kind": parts[1], "balance_cents": 0, "created_at": utcnow()}


def lock_accounts(session: Session, codes: list[str]) -> dict[str, LedgerAccount]:
    """Create if needed, then lock the user accounts in id order. System accounts are
    read without a lock: they keep no cached balance, so they are never a hot row."""
    codes = list(dict.fromkeys(codes))
    ensure_accounts(session, codes)
    query = (
        sa.select(LedgerAccount)
        .where(LedgerAccount.code.in_(codes))
        .order_by(LedgerAccount.id)
        .execution_options(populate_existing=True)
    )
    user_codes = [c for c in codes if c.startswith("user:")]
    accounts = {}
    if user_codes:
        locked = query.where(LedgerAccount.code.in_(user_codes)).with_for_update()
        accounts.update({a.code: a for a in session.scalars(locked)})
    system_codes = [c for c in codes if not c.startswith("user:")]
    if system_codes:
        accounts.update({a.code: a for a in session.scalars(query.where(LedgerAccount.code.in_(system_codes)))})
    return accounts


def key_exists(session: Session, key: str) -> bool:
    return session.scalar(sa.select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == key)) is not None


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount_cents: int


def post(session: Session, kind: str, key: str, legs: list[Leg], memo: str = "") -> LedgerTransaction:
    """Write one balanced transaction. The accounts must come from `lock_accounts` in this
    session. Raises AlreadyApplied for a known key, InsufficientFunds when a user account
    would go below zero; the caller's money_session then rolls everything back."""
    legs = [leg for leg in legs if leg.amount_cents != 0]
    for leg in legs:
        if not isinstance(leg.amount_cents, int) or isinstance(leg.amount_cents, bool):
            raise Invalid("Amounts are whole cents.", code="invalid_amount")
    if sum(leg.amount_cents for leg in legs) != 0:
        raise ValueError("a ledger transaction must sum to zero")
    if key_exists(session, key):
        raise AlreadyApplied(key)
    for leg in legs:
        if leg.account.user_id is not None and leg.account.balance_cents + leg.amount_cents < 0:
            raise InsufficientFunds("Not enough funds for that.")
    tx = LedgerTransaction(kind=kind, idempotency_key=key, memo=memo[:300])
    session.add(tx)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # The same key committed by a concurrent transaction after our check.
        raise AlreadyApplied(key) from None
    for leg in legs:
        session.add(LedgerEntry(transaction_id=tx.id, account_id=leg.account.id, amount_cents=leg.amount_cents))
        if leg.account.user_id is not None:
            leg.account.balance_cents += leg.amount_cents
    session.flush()
    return tx


def user_balance(session: Session, user_id: int) -> dict:
    rows = session.execute(
        sa.select(LedgerAccount.kind, LedgerAccount.balance_cents).where(LedgerAccount.user_id == user_id)
    ).all()
    by_kind = {row.kind: int(row.balance_cents) for row in rows}
    credit, earnings = by_kind.get("credit", 0), by_kind.get("earnings", 0)
    return {"credit_cents": credit, "earnings_cents": earnings, "total_cents": credit + earnings}


def verify_ledger(session: Session) -> list[str]:
    """Every problem found: unbalanced transactions, stale cached balances, negative users."""
    problems = []
    unbalanced = session.execute(
        sa.select(LedgerEntry.transaction_id, sa.func.sum(LedgerEntry.amount_cents))
        .group_by(LedgerEntry.transaction_id)
        .having(sa.func.sum(LedgerEntry.amount_cents) != 0)
    ).all()
    problems += [f"transaction {tx_id} sums to {total}" for tx_id, total in unbalanced]
    sums = (
        sa.select(LedgerEntry.account_id, sa.func.sum(LedgerEntry.amount_cents).label("total"))
        .group_by(LedgerEntry.account_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(LedgerAccount.code, LedgerAccount.user_id, LedgerAccount.balance_cents, sums.c.total)
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
    ).all()
    for code, user_id, cached, total in rows:
        total = int(total or 0)
        if user_id is not None and int(cached) != total:
            problems.append(f"account {code}: cached {cached} != entries {total}")
        if user_id is not None and total < 0:
            problems.append(f"account {code}: negative balance {total}")
    return problems


def account_balance(session: Session, code: str) -> int:
    """The balance of any account from its entries (how system accounts are read)."""
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .where(LedgerAccount.code == code)
        )
    )
