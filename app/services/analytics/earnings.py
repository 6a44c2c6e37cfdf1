"""Earnings figures, read from the ledger entries of the creator's earnings account, so every
total here is a sum of ledger entries (net of the platform fee, as the ledger credits it).
Sales and refunds are the creator's purchases joined to their entry on the earnings account
(so the creator's own spending as a buyer never counts); subscription income is the positive
subscription entries of that account."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Item, Subscription
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Purchase
from app.services.analytics.ranges import DateRange
from app.services.payments.ledger import earnings_code
from app.services.payments.purchases import fee_for

LIVE_STATUSES = ("active", "grace")
DAILY = ("sales", "sales_cents", "refunds", "refunds_cents", "subscription_charges", "subscription_cents",
         "earnings_cents")


def _account_id(user_id: int) -> int | None:
    return db.session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.code == earnings_code(user_id)))


def _sales(account_id: int, creator_id: int, rng: DateRange, *, refunds: bool):
    """The creator's sales (or refunds of them) in the range, by day and item: driven from the
    creator's purchases (indexed by creator), each joined to its ledger entry on the account."""
    link = Purchase.refund_transaction_id if refunds else Purchase.transaction_id
    day = sa.func.date(LedgerTransaction.created_at)
    return db.session.execute(
        sa.select(day, Purchase.item_id, sa.func.count(), sa.func.sum(LedgerEntry.amount_cents))
        .select_from(Purchase)
        .join(LedgerTransaction, LedgerTransaction.id == link)
        .join(LedgerEntry, sa.and_(LedgerEntry.transaction_id == LedgerTransaction.id,
                                   LedgerEntry.account_id == account_id))
        .where(Purchase.creator_id == creator_id, LedgerTransaction.created_at >= rng.begins_at,
               LedgerTransaction.created_at < rng.ends_before)
        .group_by(day, Purchase.item_id)
    )


def _subscription_income(account_id: int, rng: DateRange):
    """Subscription charges credited to the account (positive: the creator was paid; a
    negative entry is the creator paying a subscription of their own)."""
    day = sa.func.date(LedgerTransaction.created_at)
    return db.session.execute(
        sa.select(day, sa.func.count(), sa.func.sum(LedgerEntry.amount_cents))
        .select_from(LedgerEntry)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account_id == account_id, LedgerTransaction.kind == "subscription",
               LedgerEntry.amount_cents > 0, LedgerTransaction.created_at >= rng.begins_at,
               LedgerTransaction.created_at < rng.ends_before)
        .group_by(day)
    )


def earnings(creator_id: int, rng: DateRange) -> dict:
    """{"daily": {name: {day: value}} for every name of DAILY, "items": {item_id: {"sales",
    "refunds", "earnings_cents"}}}."""
    daily = {name: defaultdict(int) for name in DAILY}
    items: dict[int, dict] = defaultdict(lambda: {"sales": 0, "refunds": 0, "earnings_cents": 0})
    account_id = _account_id(creator_id)
    if account_id is None:
        return {"daily": daily, "items": items}
    for refunds, count_name, cents_name in ((False, "sales", "sales_cents"), (True, "refunds", "refunds_cents")):
        for d, item_id, n, cents in _sales(account_id, creator_id, rng, refunds=refunds):
            n, cents = int(n), int(cents or 0)
            daily[count_name][d] += n
            daily[cents_name][d] += cents
            daily["earnings_cents"][d] += cents
            items[item_id][count_name] += n
            items[item_id]["earnings_cents"] += cents
    for d, n, cents in _subscription_income(account_id, rng):
        n, cents = int(n), int(cents or 0)
        daily["subscription_charges"][d] += n
        daily["subscription_cents"][d] += cents
        daily["earnings_cents"][d] += cents
    return {"daily": daily, "items": items}


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
    rows = db.session.execute(
        sa.select(Subscription.created_at, Subscription.status, Subscription.current_period_end,
                  Subscription.grace_until, Subscription.price_cents)
        .where(Subscription.creator_id == creator_id)
    )
    for sub in rows:
        if rng.begins_at <= sub.created_at < rng.ends_before:
            gained[sub.created_at.date()] += 1
        ended = _ended_at(sub, now)
        if ended is not None and rng.begins_at <= ended < rng.ends_before:
            lapsed[ended.date()] += 1
        if sub.status in LIVE_STATUSES:
            active += 1
            mrr += int(sub.price_cents) - fee_for(int(sub.price_cents))
    return {"gained": gained, "lapsed": lapsed, "active": active, "mrr_cents": mrr}
