"""What the navigation shows a signed-in user on every page: the unread-notifications badge
and the balance. When the `social` and `items` binds are one PostgreSQL database both are
one statement (scalar subqueries); otherwise one query each, as their services read them."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models.ledger import LedgerAccount, LedgerBalanceShard
from app.models.social import Notification
from app.services.notifications import unread_condition, unread_count
from app.services.stores import same_database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavSummary:
    unread: int = 0
    balance: dict | None = None


def _kind_total(user_id, kind: str):
    """A user's cached balance of one kind: the accounts' own balance plus their shards."""
    shards = (sa.select(sa.func.coalesce(sa.func.sum(LedgerBalanceShard.balance_cents), 0))
              .where(LedgerBalanceShard.account_id == LedgerAccount.id)
              .correlate(LedgerAccount).scalar_subquery())
    return (sa.select(sa.func.coalesce(sa.func.sum(LedgerAccount.balance_cents + shards), 0))
            .where(LedgerAccount.user_id == user_id, LedgerAccount.kind == kind).scalar_subquery())


def summary_columns(uid) -> list:
    """The navigation of user `uid` (a bound parameter) as four scalar columns of one
    statement: unread count, credit, earnings, whether the user has ledger accounts. Only
    where the `social` and `items` binds are one database (`can_join`)."""
    unread = sa.select(sa.func.count()).select_from(Notification).where(unread_condition(uid)).scalar_subquery()
    has_accounts = sa.exists().where(LedgerAccount.user_id == uid)
    return [unread, _kind_total(uid, "credit"), _kind_total(uid, "earnings"), has_accounts]


def summary_from(values) -> NavSummary | None:
    """The NavSummary of `summary_columns`' values; None when the user has no ledger account
    yet (then the balance service, which grants the sign-up credit, is asked)."""
    unread, credit, earnings, has_accounts = values
    if not has_accounts:
        return None
    credit, earnings = int(credit), int(earnings)
    return NavSummary(int(unread), {"credit_cents": credit, "earnings_cents": earnings,
                                    "total_cents": credit + earnings})


def can_join(*also: str) -> bool:
    """Whether the navigation can be read in one statement with tables of the `also` binds."""
    return same_database("social", "items", *also, dialect="postgresql")


@functools.cache
def _joined_statement():
    """Built once with a bound user id: every signed-in page runs it."""
    return sa.select(*summary_columns(sa.bindparam("uid", type_=sa.Integer)))


def _joined(user_id: int) -> NavSummary | None:
    # A Core statement on the request's connection: no ORM execution machinery needed.
    connection = db.session.connection(bind_arguments={"mapper": sa.inspect(Notification)})
    return summary_from(connection.execute(_joined_statement(), {"uid": user_id}).one())


def _balance(user_id: int) -> dict | None:
    from app.services.payments.balances import get_balance

    try:
        return get_balance(user_id)
    except Exception:  # noqa: BLE001 - the navigation never breaks a page
        log.exception("balance for navigation")
        return None


def nav_summary(user) -> NavSummary:
    if user is None or not user.is_authenticated:
        return NavSummary()
    prefetched = getattr(user, "prefetched_nav", None)  # read with the user (app/web/reads.py)
    if prefetched is not None:
        return prefetched
    if can_join():
        try:
            found = _joined(user.id)
        except Exception:  # noqa: BLE001 - the navigation never breaks a page
            log.exception("navigation summary")
            db.session.rollback()
            found = None
        if found is not None:
            return found
    return NavSummary(unread_count(user.id), _balance(user.id))
