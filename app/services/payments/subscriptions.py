"""Billing subscriptions to creators.

The first month is charged at once; a period is 30 days. At the end of a period the next one
is charged (by `flask billing renew`, or lazily when the subscription is looked at); when
credit and earnings do not cover it the subscription enters a 3-day grace (access continues),
and after that it lapses (access ends). Cancelling keeps access to the end of the paid
period. The creator's earnings get the price less the platform fee, as for purchases."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.models import User
from app.models.base import utcnow
from app.models.items import CreatorPlan, Subscription
from app.services.errors import Conflict, InsufficientFunds, NotAllowed, NotFound
from app.services.notifications import notify
from app.services.payments.amounts import dollars, parse_expected_price
from app.services.payments.ledger import (
    SYSTEM_FEES,
    AlreadyApplied,
    Leg,
    blocked_between,
    credit_code,
    earnings_code,
    lock_accounts,
    money_session,
    post,
    read_session,
    retry_on_deadlock,
)
from app.services.payments.purchases import fee_for

PERIOD = timedelta(days=30)
GRACE = timedelta(days=3)
MAX_CATCH_UP_PERIODS = 12


def subscription_gives_access(subscription: Subscription | None, now: datetime | None = None) -> bool:
    """Active; in grace (until `grace_until`, when set); or cancelled but paid up to a
    `current_period_end` still in the future."""
    if subscription is None:
        return False
    now = now or utcnow()
    if subscription.status == "active":
        return True
    if subscription.status == "grace":
        return subscription.grace_until is None or subscription.grace_until > now
    if subscription.status == "cancelled":
        return subscription.current_period_end is not None and subscription.current_period_end > now
    return False


def _codes(subscriber_id: int) -> list[str]:
    return [credit_code(subscriber_id), earnings_code(subscriber_id), SYSTEM_FEES]


def _lock(session, subscriber_id: int, creator_id: int) -> dict:
    """The subscriber's accounts locked; the creator's earnings only receive money."""
    return lock_accounts(session, _codes(subscriber_id), credit_only=[earnings_code(creator_id)])


def _charge(session, accounts, sub: Subscription, period_start: datetime) -> None:
    """Charge one period: credit first, then earnings. Raises InsufficientFunds."""
    price = int(sub.price_cents)
    credit = accounts[credit_code(sub.subscriber_id)]
    earnings = accounts[earnings_code(sub.subscriber_id)]
    from_credit = min(price, credit.balance_cents)
    fee = fee_for(price)
    post(session, "subscription", f"subscription:{sub.id}:{period_start.isoformat()}", [
        Leg(credit, -from_credit), Leg(earnings, -(price - from_credit)),
        Leg(accounts[earnings_code(sub.creator_id)], price - fee), Leg(accounts[SYSTEM_FEES], fee),
    ], memo=f"Subscription to creator #{sub.creator_id}, period from {period_start:%Y-%m-%d}")


@retry_on_deadlock
def subscribe(subscriber_id: int, creator: User, *, now: datetime | None = None,
              expected_price_cents: int | None = None) -> tuple[Subscription, bool]:
    """Subscribe (charging the first month). Returns (subscription, charged). A second call
    while subscribed returns the subscription unchanged, so a double click pays once.
    `expected_price_cents`, when given, must be the plan's price (409 price_changed)."""
    now = now or utcnow()
    expected_price_cents = parse_expected_price(expected_price_cents, strings=False)
    if creator.id == subscriber_id:
        raise NotAllowed("You cannot subscribe to yourself.", code="own_subscription")
    if blocked_between(subscriber_id, creator.id):
        raise NotFound("There is no such creator.")
    with read_session() as session:
        plan = session.get(CreatorPlan, creator.id)
    if plan is None or not plan.active:
        raise Conflict("This creator offers no subscription.", code="no_plan")
    if expected_price_cents is not None and expected_price_cents != plan.monthly_price_cents:
        raise Conflict("The subscription price changed since you saw it. Look again.", code="price_changed")
    with money_session() as session:
        accounts = _lock(session, subscriber_id, creator.id)
        sub = _find(session, subscriber_id, creator.id)
        for _ in range(MAX_CATCH_UP_PERIODS):
            if sub is None or not _due(sub, now) or not _advance(session, accounts, sub, now):
                break
        if sub is not None and sub.status in ("active", "grace") and subscription_gives_access(sub, now):
            return sub, False
        if sub is not None and sub.status == "cancelled" and sub.current_period_end > now:
            sub.status, sub.cancelled_at = "active", None  # resume: already paid to period end
            return sub, False
        if sub is None:
            sub = Subscription(subscriber_id=subscriber_id, creator_id=creator.id, status="active",
                               price_cents=plan.monthly_price_cents, current_period_start=now,
                               current_period_end=now + PERIOD)
            session.add(sub)
            session.flush()
        sub.price_cents = plan.monthly_price_cents
        sub.status, sub.cancelled_at, sub.grace_until = "active", None, None
        sub.current_period_start, sub.current_period_end = now, now + PERIOD
        _charge(session, accounts, sub, now)
    notify(creator.id, "subscriber", actor_id=subscriber_id, target_type="user", target_id=subscriber_id,
           text=f"subscribed for {dollars(sub.price_cents)} a month", url=f"/creators/{creator.username}")
    return sub, True


def unsubscribe(subscriber_id: int, creator: User, *, now: datetime | None = None) -> Subscription:
    """Cancel: no more renewals; access continues to the end of the paid period."""
    now = now or utcnow()
    with money_session() as session:
        _lock(session, subscriber_id, creator.id)
        sub = _find(session, subscriber_id, creator.id)
        if sub is None or sub.status in ("lapsed", "cancelled"):
            raise NotFound("You are not subscribed to this creator.", code="not_subscribed")
        sub.status, sub.cancelled_at, sub.grace_until = "cancelled", now, None
    return sub


@retry_on_deadlock
def renew_subscription(subscription_id: int, *, now: datetime | None = None) -> Subscription:
    """Bring one subscription up to date: charge due periods, or grace, or lapse."""
    now = now or utcnow()
    with read_session() as session:
        sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound("There is no such subscription.")
    if not _due(sub, now):
        return sub
    with money_session() as session:
        accounts = _lock(session, sub.subscriber_id, sub.creator_id)
        sub = session.get(Subscription, subscription_id, populate_existing=True)
        for _ in range(MAX_CATCH_UP_PERIODS):
            if not _due(sub, now):
                break
            if not _advance(session, accounts, sub, now):
                break
    return sub


def _due(sub: Subscription, now: datetime) -> bool:
    return sub.status in ("active", "grace") and sub.current_period_end <= now


def _advance(session, accounts, sub: Subscription, now: datetime) -> bool:
    start = sub.current_period_end
    try:
        with session.begin_nested():
            _charge(session, accounts, sub, start)
    except AlreadyApplied:
        pass
    except InsufficientFunds:
        if sub.status == "active":
            sub.status, sub.grace_until = "grace", start + GRACE
        if sub.grace_until is not None and now >= sub.grace_until:
            sub.status = "lapsed"
        return False
    sub.status, sub.grace_until = "active", None
    sub.current_period_start, sub.current_period_end = start, start + PERIOD
    return True


def renew_due(*, now: datetime | None = None) -> dict:
    """`flask billing renew`: every subscription whose period ended. Returns counts."""
    now = now or utcnow()
    with read_session() as session:
        ids = list(session.scalars(sa.select(Subscription.id).where(
            Subscription.status.in_(("active", "grace")), Subscription.current_period_end <= now
        ).order_by(Subscription.id)))
    counts = {"checked": len(ids), "active": 0, "grace": 0, "lapsed": 0}
    for sub_id in ids:
        sub = renew_subscription(sub_id, now=now)
        counts[sub.status] = counts.get(sub.status, 0) + 1
    return counts


def ensure_subscription_current(subscriber_id: int, creator_id: int, *, now: datetime | None = None):
    """The lazy check on access: renew a due subscription before reading it."""
    now = now or utcnow()
    with read_session() as session:
        sub = _find(session, subscriber_id, creator_id)
    if sub is not None and _due(sub, now):
        sub = renew_subscription(sub.id, now=now)
    return sub


def _find(session, subscriber_id: int, creator_id: int) -> Subscription | None:
    return session.scalar(
        sa.select(Subscription).where(Subscription.subscriber_id == subscriber_id,
                                      Subscription.creator_id == creator_id)
        .execution_options(populate_existing=True)
    )


def serialize_subscription(sub: Subscription | None, now: datetime | None = None) -> dict | None:
    if sub is None:
        return None
    return {
        "id": sub.id, "subscriber_id": sub.subscriber_id, "creator_id": sub.creator_id, "status": sub.status,
        "price_cents": int(sub.price_cents), "current_period_start": sub.current_period_start.isoformat(),
        "current_period_end": sub.current_period_end.isoformat(),
        "grace_until": sub.grace_until.isoformat() if sub.grace_until else None,
        "cancelled_at": sub.cancelled_at.isoformat() if sub.cancelled_at else None,
        "has_access": subscription_gives_access(sub, now),
    }
