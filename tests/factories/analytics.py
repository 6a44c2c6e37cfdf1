"""A fixed week of activity for one creator, with the figures it must produce.

The range is 2026-03-01 .. 2026-03-07; 2026-03-07 has no activity at all. Money moves through
the real payment services, then each ledger transaction is moved to its day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Favorite, Review, Subscription
from app.models.ledger import LedgerTransaction
from app.models.social import FollowEvent, Like
from app.services.analytics.views import record_view
from app.services.payments import purchases, subscriptions
from app.services.social import follows
from tests.factories.payments import fund, make_item, make_plan
from tests.factories.social import CommentFactory, PostFactory
from tests.factories.users import UserFactory

START, END = date(2026, 3, 1), date(2026, 3, 7)
DAYS = [(START + timedelta(days=n)).isoformat() for n in range(7)]


def at(day: int, hour: int = 12, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _move_tx(tx_id: int, when: datetime) -> None:
    db.session.execute(sa.update(LedgerTransaction).where(LedgerTransaction.id == tx_id).values(created_at=when))


def _daily(values: dict[int, int]) -> list[int]:
    return [values.get(d, 0) for d in range(1, 8)]


def build_known_week() -> dict:
    creator = UserFactory(username="maker")
    a, b, d, e, f = (UserFactory(username=n) for n in ("ann", "bob", "dee", "eve", "fay"))
    p1, p2 = PostFactory(author_id=creator.id, body="First post"), PostFactory(author_id=creator.id, body="Second")
    outside = PostFactory(author_id=a.id, body="Not the creator's")

    # Views: once per viewer per day; the creator's own views do not count.
    item1 = make_item(creator, price_cents=1000, title="Zine")
    item2 = make_item(creator, price_cents=500, title="Poster")
    for target, tid, key, day in [
        ("post", p1.id, f"u:{a.id}", START), ("post", p1.id, f"u:{a.id}", START), ("post", p1.id, "a:anon1", START),
        ("post", p1.id, f"u:{creator.id}", START), ("post", p2.id, f"u:{b.id}", date(2026, 3, 3)),
        ("item", item1.id, f"u:{a.id}", date(2026, 3, 3)), ("post", p1.id, f"u:{b.id}", date(2026, 2, 28)),
    ]:
        record_view(target, tid, creator.id, key, day=day)
    record_view("post", outside.id, a.id, f"u:{b.id}", day=START)

    # Likes and comments, at fixed times (one just before midnight, one outside the range).
    for user, post, when in [(a, p1, at(2, 10)), (b, p1, at(2, 23, 59)), (d, p2, at(5)), (e, p2, at(8))]:
        db.session.add(Like(post_id=post.id, user_id=user.id, created_at=when))
    CommentFactory(post_id=p1.id, author_id=a.id, created_at=at(2))
    CommentFactory(post_id=p2.id, author_id=b.id, created_at=at(6))
    CommentFactory(post_id=outside.id, author_id=b.id, created_at=at(6))

    # Follows through the services (which write the follow events), then dated.
    events = []
    for fan in (a, b, d, f):
        follows.follow_user(fan, creator)
    follows.unfollow_user(a, creator)
    db.session.flush()
    rows = list(db.session.scalars(sa.select(FollowEvent).order_by(FollowEvent.id)))
    for event, when in zip(rows, [at(20, month=2), at(2), at(4), at(10), at(4, 18)], strict=True):
        event.created_at = when
        events.append(event)
    db.session.commit()

    # Sales, a refund and a subscription, through the payment services.
    for buyer in (a, b, d):
        fund(buyer, credit=10_000)
    s1 = purchases.purchase_item(a.id, item1.id).purchase
    s2 = purchases.purchase_item(b.id, item1.id).purchase
    s3 = purchases.purchase_item(a.id, item2.id).purchase
    refunded = purchases.refund_purchase(creator.id, s2.id)
    db.session.commit()  # the unit of work of those requests: the sale and refund notifications
    make_plan(creator, 500)
    sub, _ = subscriptions.subscribe(d.id, creator)
    db.session.commit()
    for tx_id, when in [(s1.transaction_id, at(1, 0, 0)), (s2.transaction_id, at(3)), (s3.transaction_id, at(3, 23)),
                        (refunded.refund_transaction_id, at(5)), (sub.id and _sub_tx(sub.id), at(6))]:
        _move_tx(tx_id, when)
    db.session.execute(sa.update(Subscription).where(Subscription.id == sub.id).values(created_at=at(6)))
    # One subscriber who lapsed inside the range (subscribed before it).
    db.session.add(Subscription(subscriber_id=e.id, creator_id=creator.id, status="lapsed", price_cents=500,
                                current_period_start=at(1, month=2), current_period_end=at(1),
                                grace_until=at(4), created_at=at(1, month=2)))
    db.session.add_all([Favorite(user_id=b.id, item_id=item1.id, created_at=at(2)),
                        Favorite(user_id=d.id, item_id=item1.id, created_at=at(20, month=2)),
                        Review(item_id=item2.id, user_id=a.id, rating=5, body="Great", created_at=at(4))])
    db.session.commit()

    return {
        "creator": creator, "fans": (a, b, d, e, f), "posts": (p1, p2), "items": (item1, item2),
        "expected": {
            "views": _daily({1: 2, 3: 2}),
            "likes": _daily({2: 2, 5: 1}),
            "comments": _daily({2: 1, 6: 1}),
            "sales": _daily({1: 1, 3: 2}),
            "earnings_cents": _daily({1: 900, 3: 900 + 450, 5: -900, 6: 450}),
            "subscription_cents": _daily({6: 450}),
            "refunds_cents": _daily({5: -900}),
            "followers_gained": _daily({2: 1, 4: 1}),
            "followers_lost": _daily({4: 1}),
            # Now: bob, dee, fay = 3; fay followed after the range, ann joined before and left on the 4th.
            "followers_total": [1, 2, 2, 2, 2, 2, 2],
            "subscribers": _daily({6: 1}),
            "subscribers_lapsed": _daily({4: 1}),
        },
        "mrr_cents": 450,
    }


def _sub_tx(subscription_id: int) -> int:
    return db.session.scalar(sa.select(LedgerTransaction.id).where(
        LedgerTransaction.idempotency_key.like(f"subscription:{subscription_id}:%")))
