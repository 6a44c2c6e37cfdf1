"""Earnings figures, read from the ledger entries of the creator's earnings account, so every
total here is a sum of ledger entries (net of the platform fee, as the ledger credits it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Item, Subscription
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Purchase
from app.services.analytics.ranges import DateRange
from app.services.analytics.series import as_day
from app.services.payments.ledger import earnings_code
from app.services.payments.purchases import fee_for

LIVE_STATUSES = ("active", "grace")


def _account_id(user_id: int) -> int | None:
    return db.session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.code == earnings_code(user_id)))


def _entries(account_id: int, rng: DateRange, *columns):
    return (
        sa.select(*columns)
        .select_from(LedgerEntry)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account_id == account_id, LedgerTransaction.created_at >= rng.begins_at,
               LedgerTransaction.created_at < rng.ends_before)
    )


def _sales_query(account_id: int, creator_id: int, rng: DateRange, key, *, refunds: bool):
    link = Purchase.refund_transaction_id if refunds else Purchase.transaction_id
    return (
        _entries(account_id, rng, key, sa.func.count(), sa.func.sum(LedgerEntry.amount_cents))
        .join(Purchase, link == LedgerTransaction.id)
        .where(LedgerTransaction.kind == ("refund" if refunds else "purchase"), Purchase.creator_id == creator_id)
        .group_by(key)
    )


def earnings_by_day(creator_id: int, rng: DateRange) -> dict[str, dict[date, int]]:
    """Per day: `sales` (count), `sales_cents`, `refunds` (count), `refunds_cents` (negative),
    `subscription_cents`, `subscription_charges`, and `earnings_cents`, their sum."""
    out = {name: defaultdict(int) for name in (
        "sales", "sales_cents", "refunds", "refunds_cents", "subscription_charges", "subscription_cents",
        "earnings_cents")}
    account_id = _account_id(creator_id)
    if account_id is None:
        return out
    day = sa.func.date(LedgerTransaction.created_at)
    for refunds, count_name, cents_name in ((False, "sales", "sales_cents"), (True, "refunds", "refunds_cents")):
        for d, n, cents in db.session.execute(_sales_query(account_id, creator_id, rng, day, refunds=refunds)):
            out[count_name][as_day(d)] += int(n)
            out[cents_name][as_day(d)] += int(cents or 0)
    # A subscription transaction touches the creator's earnings once: positive when they are
    # the creator paid, negative when they paid a subscription themself.
    subs = _entries(account_id, rng, day, sa.func.count(), sa.func.sum(LedgerEntry.amount_cents)).where(
        LedgerTransaction.kind == "subscription", LedgerEntry.amount_cents > 0).group_by(day)
    for d, n, cents in db.session.execute(subs):
        out["subscription_charges"][as_day(d)] += int(n)
        out["subscription_cents"][as_day(d)] += int(cents or 0)
    for name in ("sales_cents", "refunds_cents", "subscription_cents"):
        for d, cents in out[name].items():
            out["earnings_cents"][d] += cents
    return out


def earnings_by_item(creator_id: int, rng: DateRange) -> dict[int, dict]:
    """Per item: sales, refunds and net earnings in the range."""
    rows: dict[int, dict] = defaultdict(lambda: {"sales": 0, "refunds": 0, "earnings_cents": 0})
    account_id = _account_id(creator_id)
    if account_id is None:
        return rows
    for refunds in (False, True):
        for item_id, n, cents in db.session.execute(
            _sales_query(account_id, creator_id, rng, Purchase.item_id, refunds=refunds)
        ):
            rows[item_id]["refunds" if refunds else "sales"] += int(n)
            rows[item_id]["earnings_cents"] += int(cents or 0)
    return rows


def item_titles(ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Item.id, Item.title).where(Item.id.in_(list(ids)))).all())


def _ended_at(sub: Subscription, now: datetime) -> datetime | None:
    if sub.status == "lapsed":
        return sub.grace_until or sub.current_period_end
    if sub.status == "cancelled" and sub.current_period_end <= now:
        return sub.current_period_end
    return None


def subscribers(creator_id: int, rng: DateRange, now: datetime) -> dict:
    """Subscribers gained (first subscribed) and lapsed (access ended) per day, the active
    count now, and the monthly recurring revenue net of the platform fee."""
    gained, lapsed = defaultdict(int), defaultdict(int)
    active = mrr = 0
    for sub in db.session.scalars(sa.select(Subscription).where(Subscription.creator_id == creator_id)):
        if rng.begins_at <= sub.created_at < rng.ends_before:
            gained[sub.created_at.date()] += 1
        ended = _ended_at(sub, now)
        if ended is not None and rng.begins_at <= ended < rng.ends_before:
            lapsed[ended.date()] += 1
        if sub.status in LIVE_STATUSES:
            active += 1
            mrr += int(sub.price_cents) - fee_for(int(sub.price_cents))
    return {"gained": gained, "lapsed": lapsed, "active": active, "mrr_cents": mrr}
