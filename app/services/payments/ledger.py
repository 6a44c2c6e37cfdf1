"""The double-entry ledger: the one place where balances change.

Every money operation runs in `money_connection()` (SQLAlchemy Core) or `money_session()`
(an ORM session on top of it): its own transaction on the `items` bind (row locks with
SELECT ... FOR UPDATE), committed or rolled back here, never by the request's unit of work.
Inside it:

- `lock_accounts` locks the user accounts money is taken from, in id order (so two
  transactions never wait on each other in a circle), in one statement that also reads the
  accounts that only receive money (a seller's earnings, system accounts) without a lock;
- `post` checks a transaction (whole cents, sums to zero, no user account below zero) and
  writes it: the transaction row and all its entries, two statements;
- the balances the transaction moved are written as its last statements before COMMIT: one
  UPDATE for the locked accounts, one upsert into a balance shard per credit-only account.

No network call is made inside."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.base import utcnow
from app.models.ledger import LedgerAccount, LedgerBalanceShard, LedgerEntry, LedgerTransaction
from app.models.social import Block
from app.services.errors import InsufficientFunds, Invalid

SYSTEM_SIGNUP = "system:signup_grant"
SYSTEM_STRIPE = "system:stripe"
SYSTEM_PAYOUTS = "system:payouts"
SYSTEM_FEES = "system:platform_fees"
SYSTEM_CODES = (SYSTEM_SIGNUP, SYSTEM_STRIPE, SYSTEM_PAYOUTS, SYSTEM_FEES)

BALANCE_SHARDS = 16

ACCOUNTS = LedgerAccount.__table__
SHARDS = LedgerBalanceShard.__table__
TRANSACTIONS = LedgerTransaction.__table__
ENTRIES = LedgerEntry.__table__


class AlreadyApplied(Exception):
    """The idempotency key of a transaction is already in the ledger: nothing was written."""


def credit_code(user_id: int) -> str:
    return f"user:{int(user_id)}:credit"


def earnings_code(user_id: int) -> str:
    return f"user:{int(user_id)}:earnings"


def items_engine() -> sa.Engine:
    return db.engines["items"]


@dataclass(eq=False)
class Account:
    """A ledger account as one money transaction sees it.

    For an account this transaction locked (one of `_MoneyTransaction.locked`),
    `balance_cents` is its whole balance (shards folded in) and moves with every posted leg;
    it is written back before COMMIT when it differs from `stored_cents`, what the row held.
    For a credit-only account (read without a lock) `balance_cents` is not used: what it
    receives goes to a balance shard."""

    id: int
    code: str
    user_id: int | None
    balance_cents: int
    stored_cents: int = 0

    @property
    def is_system(self) -> bool:
        return self.user_id is None


@dataclass
class _MoneyTransaction:
    """What a money transaction changed and still has to write before COMMIT."""

    locked: dict[int, Account] = field(default_factory=dict)  # account id -> locked account
    increments: dict[int, int] = field(default_factory=dict)  # credit-only account id -> cents received


_STATE = "dreamdot.money_transaction"


@contextmanager
def money_connection() -> Iterator[sa.Connection]:
    """One write transaction on the items bind (Core); commits on success, after writing
    the balances it moved."""
    with items_engine().connect() as connection:
        try:
            with connection.begin():
                state = connection.info[_STATE] = _MoneyTransaction()
                yield connection
                _write_balances(connection, state)
        finally:
            connection.info.pop(_STATE, None)


@contextmanager
def money_session() -> Iterator[Session]:
    """An ORM session inside `money_connection()`: flushed, then committed with it."""
    with money_connection() as connection:
        session = Session(bind=connection, join_transaction_mode="rollback_only", expire_on_commit=False)
        try:
            yield session
            session.flush()
        finally:
            session.close()


def _conn(bind: Session | sa.Connection) -> sa.Connection:
    return bind.connection() if isinstance(bind, Session) else bind


def _state(connection: sa.Connection) -> _MoneyTransaction:
    state = connection.info.get(_STATE)
    if state is None:
        raise RuntimeError("ledger writes happen inside money_connection() or money_session()")
    return state


@contextmanager
def read_session() -> Iterator[Session]:
    """An ORM session for reads on the items bind, in autocommit: at READ COMMITTED each
    statement has its own snapshot inside a transaction too, so a transaction would only
    add its BEGIN and ROLLBACK round trips (the navigation reads the balance on every page)."""
    with autocommit_connection(items_engine()) as connection:
        session = Session(bind=connection, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()


@contextmanager
def autocommit_connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A pooled connection whose statements each commit on their own: no BEGIN and COMMIT
    round trips around a single statement. SQLAlchemy's AUTOCOMMIT isolation level, which
    psycopg sets on the connection without a round trip; the pool resets it on checkin."""
    with engine.connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


def blocked_between(a_id: int, b_id: int) -> bool:
    """The block rule of `social.blocks.is_blocked_between`, read on a short connection of
    its own and closed before any ledger lock is taken: a money transaction never holds a
    connection to another bind while it waits for a lock."""
    if not a_id or not b_id or a_id == b_id:
        return False
    with autocommit_connection(db.engines["social"]) as connection:
        return connection.scalar(_block_query(), {"a": a_id, "b": b_id}) is not None


def users_blocked_with(user_id: int) -> list[int]:
    """The users a block stands between `user_id` and (either way), read like
    `blocked_between` on a short connection of the social bind: what the purchase function
    of the items bind is given, before it takes any lock."""
    with autocommit_connection(db.engines["social"]) as connection:
        return list(connection.scalars(_blocked_with_query(), {"user_id": user_id}))


@functools.cache
def _blocked_with_query() -> sa.CompoundSelect:
    user_id = sa.bindparam("user_id")
    return sa.union_all(
        sa.select(Block.blocked_id).where(Block.blocker_id == user_id),
        sa.select(Block.blocker_id).where(Block.blocked_id == user_id),
    )


@functools.cache
def _block_query() -> sa.Select:
    a, b = sa.bindparam("a"), sa.bindparam("b")
    return sa.select(sa.literal(1)).select_from(Block).where(sa.or_(
        sa.and_(Block.blocker_id == a, Block.blocked_id == b),
        sa.and_(Block.blocker_id == b, Block.blocked_id == a),
    )).limit(1)


def ensure_accounts(bind: Session | sa.Connection, codes: list[str]) -> None:
    """Create the accounts that do not exist yet (safe under concurrency: ON CONFLICT)."""
    connection = _conn(bind)
    existing = set(connection.scalars(sa.select(ACCOUNTS.c.code).where(ACCOUNTS.c.code.in_(codes))))
    missing = [c for c in codes if c not in existing]
    if not missing:
        return
    rows = [_account_row(code) for code in missing]
    connection.execute(insert(ACCOUNTS).values(rows).on_conflict_do_nothing(index_elements=["code"]))


def _account_row(code: str) -> dict:
    parts = code.split(":")
    if parts[0] == "user":
        return {"code": code, "user_id": int(parts[1]), "kind": parts[2], "balance_cents": 0, "created_at": utcnow()}
    return {"code": code, "user_id": None, "kind": parts[1], "balance_cents": 0, "created_at": utcnow()}


def _accounts_query() -> sa.Select:
    """The accounts named in :locked, locked FOR UPDATE in id order, each with whether it has
    shard rows; then the accounts named in :unlocked, read without a lock."""
    columns = (ACCOUNTS.c.id, ACCOUNTS.c.code, ACCOUNTS.c.user_id, ACCOUNTS.c.balance_cents)
    has_shards = sa.exists().where(SHARDS.c.account_id == ACCOUNTS.c.id)
    locked = (
        sa.select(*columns, has_shards.label("has_shards"))
        .where(ACCOUNTS.c.code.in_(sa.bindparam("locked", expanding=True)))
        .order_by(ACCOUNTS.c.id)
        .with_for_update(of=ACCOUNTS)
        .cte("locked_accounts")
    )
    unlocked = sa.select(*columns, sa.false().label("has_shards")).where(
        ACCOUNTS.c.code.in_(sa.bindparam("unlocked", expanding=True))
    )
    return sa.select(locked).union_all(unlocked)


ACCOUNTS_QUERY = _accounts_query()


def lock_accounts(bind: Session | sa.Connection, codes: list[str], *, credit_only: list[str] = ()) -> dict[str, Account]:
    """The accounts of `codes` and `credit_only` by code, user accounts of `codes` locked.

    User accounts in `codes` are locked in id order (creating missing accounts first) and
    their shards folded in, so a debit checks their whole balance. Accounts in `credit_only`
    (a seller's earnings) and system accounts are read without a lock: a credit-only account
    may only receive money in this transaction, through a balance shard written as the last
    statement before COMMIT, so a popular creator's sales never queue on one row for a whole
    purchase. System accounts keep no cached balance at all (their balance is the sum of
    their entries). Locking an account twice in one transaction returns the same `Account`."""
    connection = _conn(bind)
    state = _state(connection)
    codes = list(dict.fromkeys(codes))
    credit_only = [c for c in dict.fromkeys(credit_only) if c not in codes]
    to_lock = [c for c in codes if c.startswith("user:")]
    params = {"locked": to_lock, "unlocked": [c for c in codes if c not in to_lock] + credit_only}
    rows = connection.execute(ACCOUNTS_QUERY, params).all()
    if len(rows) < len(codes) + len(credit_only):
        ensure_accounts(connection, codes + credit_only)
        rows = connection.execute(ACCOUNTS_QUERY, params).all()
    accounts, to_fold = {}, []
    for row in rows:
        if row.code in to_lock:
            account = state.locked.get(row.id)
            if account is None:
                account = state.locked[row.id] = Account(row.id, row.code, row.user_id, int(row.balance_cents),
                                                         stored_cents=int(row.balance_cents))
                if row.has_shards:
                    to_fold.append(account)
        else:
            account = Account(row.id, row.code, row.user_id, int(row.balance_cents))
        accounts[row.code] = account
    _fold_shards(connection, to_fold)
    return accounts


def _fold_shards(connection: sa.Connection, accounts: list[Account]) -> None:
    """Under the account locks: move what credit-only increments left in shard rows back
    into the accounts' own balance (written before COMMIT), so a debit sees the whole
    balance. Shards only ever hold money received, so a shard committed after the lock
    query's snapshot, and thus not folded now, can only make a debit check stricter."""
    if not accounts:
        return
    by_id = {a.id: a for a in accounts}
    folded = connection.execute(
        sa.delete(SHARDS).where(SHARDS.c.account_id.in_(list(by_id)))
        .returning(SHARDS.c.account_id, SHARDS.c.balance_cents)
    ).all()
    for account_id, amount in folded:
        by_id[account_id].balance_cents += int(amount)


SET_BALANCE = sa.update(ACCOUNTS).where(ACCOUNTS.c.id == sa.bindparam("account_id")).values(
    balance_cents=sa.bindparam("balance_cents")
)


# Written as SQL text because SQLAlchemy does not cache its compiled ON CONFLICT constructs.
SHARD_UPSERT = sa.text(
    "INSERT INTO ledger_balance_shards (account_id, shard, balance_cents) "
    "VALUES (:account_id, :shard, :balance_cents) "
    "ON CONFLICT (account_id, shard) DO UPDATE "
    "SET balance_cents = ledger_balance_shards.balance_cents + excluded.balance_cents"
)


def _write_balances(connection: sa.Connection, state: _MoneyTransaction) -> None:
    """The last statements before COMMIT: each locked account whose balance moved gets its
    new balance (one UPDATE each; a purchase usually moves the buyer's credit alone), then
    each credit-only account receives its money in a random one of its shard rows (an
    upsert), so concurrent sales to one creator rarely touch the same row."""
    for account in sorted(state.locked.values(), key=lambda a: a.id):
        if account.balance_cents != account.stored_cents:
            assert account.balance_cents >= 0, "post() refuses a user balance below zero"
            connection.execute(SET_BALANCE, {"account_id": account.id, "balance_cents": account.balance_cents})
            account.stored_cents = account.balance_cents
    for account_id, amount in sorted(state.increments.items()):
        connection.execute(SHARD_UPSERT, {
            "account_id": account_id, "shard": random.randrange(BALANCE_SHARDS), "balance_cents": amount,
        })
    state.increments.clear()


RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


def retry_on_deadlock(fn):
    """Run a money service again when PostgreSQL chose its transaction as a deadlock victim
    (possible between a credit-only increment and a lock taken in id order); nothing of
    the failed attempt was committed."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(6):
            try:
                return fn(*args, **kwargs)
            except sa.exc.DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == 5:
                    raise
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        raise AssertionError("unreachable")

    return wrapper


def key_exists(bind: Session | sa.Connection, key: str) -> bool:
    return _conn(bind).scalar(
        sa.select(TRANSACTIONS.c.id).where(TRANSACTIONS.c.idempotency_key == key)
    ) is not None


INSERT_TRANSACTION = sa.insert(TRANSACTIONS).returning(TRANSACTIONS.c.id)
INSERT_ENTRIES = sa.insert(ENTRIES)


@dataclass(frozen=True)
class Leg:
    account: Account
    amount_cents: int


def post(bind: Session | sa.Connection, kind: str, key: str, legs: list[Leg], memo: str = "", *,
         check_key: bool = True) -> int:
    """Write one balanced transaction; returns its id. The accounts must come from
    `lock_accounts` in this transaction: money is taken only from a locked account, never
    below zero (InsufficientFunds); an unlocked user account only receives. Raises
    AlreadyApplied for a known key (then the transaction must roll back). `check_key=False`
    skips the look-up for keys made unique by construction (the UNIQUE constraint still
    holds). Balances move in memory here and are written before COMMIT."""
    connection = _conn(bind)
    state = _state(connection)
    legs = [leg for leg in legs if leg.amount_cents != 0]
    for leg in legs:
        if not isinstance(leg.amount_cents, int) or isinstance(leg.amount_cents, bool):
            raise Invalid("Amounts are whole cents.", code="invalid_amount")
    if sum(leg.amount_cents for leg in legs) != 0:
        raise ValueError("a ledger transaction must sum to zero")
    moves: dict[int, int] = {}
    for leg in legs:
        if not leg.account.is_system:
            moves[leg.account.id] = moves.get(leg.account.id, 0) + leg.amount_cents
    accounts = {leg.account.id: leg.account for leg in legs}
    for account_id, amount in moves.items():
        account = accounts[account_id]
        if amount >= 0:
            continue
        if state.locked.get(account_id) is not account:
            raise ValueError("taking money from an account needs its lock")
        if account.balance_cents + amount < 0:
            raise InsufficientFunds("Not enough funds for that.")
    if check_key and key_exists(connection, key):
        raise AlreadyApplied(key)
    try:
        tx_id = connection.scalar(INSERT_TRANSACTION, {
            "kind": kind, "idempotency_key": key, "memo": memo[:300], "created_at": utcnow(),
        })
    except IntegrityError:
        # The same key committed by a concurrent transaction after our check.
        raise AlreadyApplied(key) from None
    connection.execute(INSERT_ENTRIES, [  # one multi-row INSERT
        {"transaction_id": tx_id, "account_id": leg.account.id, "amount_cents": leg.amount_cents} for leg in legs
    ])
    for leg in legs:  # only after every row is written: a savepoint rollback leaves memory as it was
        account = leg.account
        if account.is_system:
            continue
        if state.locked.get(account.id) is account:
            account.balance_cents += leg.amount_cents
        else:
            state.increments[account.id] = state.increments.get(account.id, 0) + leg.amount_cents
    return tx_id


def _balances(*conditions) -> sa.Select:
    """(code, user_id, kind, cached balance) of accounts: their own balance plus shards."""
    # Join first, then aggregate: only the shards of the selected accounts are read.
    extra = sa.func.coalesce(sa.func.sum(LedgerBalanceShard.balance_cents), 0)
    total = (LedgerAccount.balance_cents + extra).label("cached")
    return (
        sa.select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.user_id, LedgerAccount.kind, total)
        .outerjoin(LedgerBalanceShard, LedgerBalanceShard.account_id == LedgerAccount.id)
        .where(*conditions)
        .group_by(LedgerAccount.id, LedgerAccount.code, LedgerAccount.user_id, LedgerAccount.kind,
                  LedgerAccount.balance_cents)
    )


# One user's accounts, read by every signed-in page's navigation: built once.
_USER_BALANCES = _balances(LedgerAccount.user_id == sa.bindparam("user_id", type_=sa.Integer()))


def cached_balances(session: Session, *conditions) -> list:
    return session.execute(_balances(*conditions)).all()


def user_balance(session: Session, user_id: int) -> dict:
    return user_balance_and_accounts(session, user_id)[0]


def user_balance_and_accounts(session: Session, user_id: int) -> tuple[dict, bool]:
    """The `Balance` of a user, and whether they have ledger accounts at all (one query)."""
    by_kind = {row.kind: int(row.cached) for row in session.execute(_USER_BALANCES, {"user_id": user_id})}
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
