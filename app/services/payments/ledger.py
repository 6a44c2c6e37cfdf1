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
from app.models.ledger import LedgerAccount, LedgerBalanceShard, LedgerEntry, LedgerTransaction
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
            session.flush()
            _apply_increments(session)
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


def lock_accounts(session: Session, codes: list[str], *, credit_only: list[str] = ()) -> dict[str, LedgerAccount]:
    """Lock the user accounts of `codes` in id order (creating missing ones first).

    Accounts in `credit_only` (a seller's earnings) and system accounts are read without a
    lock. A credit-only account may only receive money in this transaction: its balance is
    raised by one atomic UPDATE as the last statement before COMMIT, so a popular creator's
    row is held for the commit alone, not for the whole purchase. System accounts keep no
    cached balance at all (their balance is the sum of their entries)."""
    codes = list(dict.fromkeys(codes))
    credit_only = [c for c in dict.fromkeys(credit_only) if c not in codes]
    wanted = codes + credit_only
    accounts = _select_accounts(session, codes, credit_only)
    if len(accounts) < len(wanted):
        ensure_accounts(session, wanted)
        accounts = _select_accounts(session, codes, credit_only)
    locked = session.info.setdefault("locked_account_ids", set())
    newly = [a for code, a in accounts.items() if code in codes and a.user_id is not None and a.id not in locked]
    locked.update(a.id for a in newly)
    _fold_shards(session, newly)
    return accounts


BALANCE_SHARDS = 16


def _fold_shards(session: Session, accounts: list[LedgerAccount]) -> None:
    """Under the account locks: move what credit-only increments left in shard rows back
    into the accounts' own balance, so a debit sees (and checks) the whole balance."""
    if not accounts:
        return
    by_id = {a.id: a for a in accounts}
    rows = session.execute(
        sa.select(LedgerBalanceShard.account_id, LedgerBalanceShard.balance_cents)
        .where(LedgerBalanceShard.account_id.in_(by_id))
        .order_by(LedgerBalanceShard.account_id, LedgerBalanceShard.shard)
        .with_for_update()
    ).all()
    if not rows:
        return
    for account_id, amount in rows:
        by_id[account_id].balance_cents += int(amount)
    session.execute(
        sa.delete(LedgerBalanceShard).where(LedgerBalanceShard.account_id.in_({r.account_id for r in rows}))
        .execution_options(synchronize_session=False)
    )


def _select_accounts(session: Session, codes: list[str], credit_only: list[str]) -> dict[str, LedgerAccount]:
    query = sa.select(LedgerAccount).order_by(LedgerAccount.id).execution_options(populate_existing=True)
    user_codes = [c for c in codes if c.startswith("user:")]
    unlocked = [c for c in codes if not c.startswith("user:")] + list(credit_only)
    accounts = {}
    if user_codes:
        locked = query.where(LedgerAccount.code.in_(user_codes)).with_for_update()
        accounts.update({a.code: a for a in session.scalars(locked)})
    if unlocked:
        accounts.update({a.code: a for a in session.scalars(query.where(LedgerAccount.code.in_(unlocked)))})
    return accounts


def _apply_increments(session: Session) -> None:
    """The last statements before COMMIT: each credit-only account receives its money in a
    random one of its shard rows (an upsert), so concurrent sales rarely touch the same row."""
    import random

    insert = _insert(session)
    for account_id, amount in sorted(session.info.pop("increments", {}).items()):
        statement = insert(LedgerBalanceShard).values(
            account_id=account_id, shard=random.randrange(BALANCE_SHARDS), balance_cents=amount
        )
        session.execute(statement.on_conflict_do_update(
            index_elements=["account_id", "shard"],
            set_={"balance_cents": LedgerBalanceShard.balance_cents + statement.excluded.balance_cents},
        ))


RETRYABLE_PGCODES = {"40P01", "40001"}  # deadlock detected, serialization failure


def retry_on_deadlock(fn):
    """Run a money service again when PostgreSQL chose its transaction as a deadlock victim
    (possible between a credit-only increment and a lock taken in id order); nothing of
    the failed attempt was committed."""
    import functools
    import random
    import time

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(6):
            try:
                return fn(*args, **kwargs)
            except sa.exc.DBAPIError as exc:
                if getattr(exc.orig, "pgcode", None) not in RETRYABLE_PGCODES or attempt == 5:
                    raise
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise AssertionError("unreachable")

    return wrapper


def key_exists(session: Session, key: str) -> bool:
    return session.scalar(sa.select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == key)) is not None


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount_cents: int


def post(session: Session, kind: str, key: str, legs: list[Leg], memo: str = "", *,
         check_key: bool = True) -> LedgerTransaction:
    """Write one balanced transaction. The accounts must come from `lock_accounts` in this
    session. Raises AlreadyApplied for a known key (then the session must roll back),
    InsufficientFunds when a user account would go below zero; the caller's money_session
    rolls everything back. `check_key=False` skips the look-up for keys made unique by
    construction (the UNIQUE constraint still holds)."""
    legs = [leg for leg in legs if leg.amount_cents != 0]
    for leg in legs:
        if not isinstance(leg.amount_cents, int) or isinstance(leg.amount_cents, bool):
            raise Invalid("Amounts are whole cents.", code="invalid_amount")
    if sum(leg.amount_cents for leg in legs) != 0:
        raise ValueError("a ledger transaction must sum to zero")
    if check_key and key_exists(session, key):
        raise AlreadyApplied(key)
    for leg in legs:
        if leg.account.user_id is not None and leg.amount_cents < 0 and leg.account.balance_cents + leg.amount_cents < 0:
            raise InsufficientFunds("Not enough funds for that.")
    tx = LedgerTransaction(kind=kind, idempotency_key=key, memo=memo[:300])
    session.add(tx)
    try:
        session.flush()
    except IntegrityError:
        # The same key committed by a concurrent transaction after our check.
        raise AlreadyApplied(key) from None
    locked = session.info.get("locked_account_ids", set())
    increments = session.info.setdefault("increments", {})
    for leg in legs:
        session.add(LedgerEntry(transaction_id=tx.id, account_id=leg.account.id, amount_cents=leg.amount_cents))
        if leg.account.user_id is None:
            continue
        if leg.account.id in locked:
            leg.account.balance_cents += leg.amount_cents
        elif leg.amount_cents > 0:
            increments[leg.account.id] = increments.get(leg.account.id, 0) + leg.amount_cents
        else:
            raise ValueError("taking money from an account needs its lock")
    session.flush()
    return tx


def cached_balances(session: Session, *conditions) -> list:
    """(code, user_id, kind, cached balance) of accounts: their own balance plus shards."""
    # Join first, then aggregate: only the shards of the selected accounts are read.
    extra = sa.func.coalesce(sa.func.sum(LedgerBalanceShard.balance_cents), 0)
    total = (LedgerAccount.balance_cents + extra).label("cached")
    return session.execute(
        sa.select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.user_id, LedgerAccount.kind, total)
        .outerjoin(LedgerBalanceShard, LedgerBalanceShard.account_id == LedgerAccount.id)
        .where(*conditions)
        .group_by(LedgerAccount.id, LedgerAccount.code, LedgerAccount.user_id, LedgerAccount.kind,
                  LedgerAccount.balance_cents)
    ).all()


def user_balance(session: Session, user_id: int) -> dict:
    return user_balance_and_accounts(session, user_id)[0]


def user_balance_and_accounts(session: Session, user_id: int) -> tuple[dict, bool]:
    """The `Balance` of a user, and whether they have ledger accounts at all (one query)."""
    by_kind = {row.kind: int(row.cached) for row in cached_balances(session, LedgerAccount.user_id == user_id)}
    credit, earnings = by_kind.get("credit", 0), by_kind.get("earnings", 0)
    balance = {"credit_cents": credit, "earnings_cents": earnings, "total_cents": credit + earnings}
    return balance, bool(by_kind)


def verify_ledger(session: Session) -> list[str]:
    """Every problem found: unbalanced transactions, stale cached balances, negative users."""
    problems = []
    unbalanced = session.execute(
        sa.select(LedgerEntry.transaction_id, sa.func.sum(LedgerEntry.amount_cents))
        .group_by(LedgerEntry.transaction_id)
        .having(sa.func.sum(LedgerEntry.amount_cents) != 0)
    ).all()
    problems += [f"transaction {tx_id} sums to {total}" for tx_id, total in unbalanced]
    sums = dict(session.execute(
        sa.select(LedgerEntry.account_id, sa.func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.account_id)
    ).all())
    for row in cached_balances(session, LedgerAccount.user_id.is_not(None)):
        total = int(sums.get(row.id) or 0)
        if int(row.cached) != total:
            problems.append(f"account {row.code}: cached {row.cached} != entries {total}")
        if total < 0 or int(row.cached) < 0:
            problems.append(f"account {row.code}: negative balance {min(total, int(row.cached))}")
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
