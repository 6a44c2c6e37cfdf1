"""The creator's analytics: every figure of the page, the API and the CSV downloads."""

from __future__ import annotations

from datetime import datetime

from app.models.base import utcnow
from app.services.analytics import earnings, engagement
from app.services.analytics.ranges import DateRange
from app.services.analytics.series import series

# Every per-day metric: its key (as in the API), a label, and whether it is money.
METRICS = {
    "views": ("Views", False),
    "likes": ("Likes", False),
    "comments": ("Comments", False),
    "earnings_cents": ("Earnings (net of fees)", True),
    "sales": ("Sales", False),
    "subscription_cents": ("Subscription income", True),
    "refunds_cents": ("Refunds", True),
    "followers_gained": ("Followers gained", False),
    "followers_lost": ("Followers lost", False),
    "followers_total": ("Followers", False),
    "subscribers": ("Subscribers gained", False),
    "subscribers_lapsed": ("Subscribers lapsed", False),
}
SECTIONS = {
    "engagement": ("views", "likes", "comments"),
    "earnings": ("earnings_cents", "sales", "subscription_cents", "refunds_cents"),
    "audience": ("followers_gained", "followers_lost", "followers_total", "subscribers", "subscribers_lapsed"),
}


def creator_summary(user_id: int, rng: DateRange, *, now: datetime | None = None) -> dict:
    """`range`, then every metric of METRICS as {"total", "daily": [{"date", "value"}]},
    plus `mrr_cents` and `active_subscribers` (figures as of now)."""
    now = now or utcnow()
    money = earnings.earnings_by_day(user_id, rng)
    subs = earnings.subscribers(user_id, rng, now)
    totals = engagement.followers_running_total(user_id, rng)
    since, until = rng.begins_at, rng.ends_before
    return {
        "range": rng.as_dict(),
        "views": series(rng, engagement.views_by_day(user_id, rng)),
        "likes": series(rng, engagement.likes_by_day(user_id, rng)),
        "comments": series(rng, engagement.comments_by_day(user_id, rng)),
        "earnings_cents": series(rng, money["earnings_cents"]),
        "sales": series(rng, money["sales"]),
        "subscription_cents": series(rng, money["subscription_cents"]),
        "refunds_cents": series(rng, money["refunds_cents"]),
        "followers_gained": series(rng, engagement.follow_events_by_day(user_id, "follow", since, until)),
        "followers_lost": series(rng, engagement.follow_events_by_day(user_id, "unfollow", since, until)),
        "followers_total": series(rng, totals, total=totals.get(rng.end, 0)),
        "subscribers": series(rng, subs["gained"]),
        "subscribers_lapsed": series(rng, subs["lapsed"]),
        "active_subscribers": subs["active"],
        "mrr_cents": subs["mrr_cents"],
    }


def per_item(user_id: int, rng: DateRange) -> list[dict]:
    """The creator's items with views or sales in the range."""
    views = engagement.item_views(user_id, rng)
    money = earnings.earnings_by_item(user_id, rng)
    ids = set(views) | set(money)
    titles = earnings.item_titles(ids)
    rows = [
        {"id": item_id, "title": titles.get(item_id, f"Item #{item_id}"), "views": views.get(item_id, 0),
         **money.get(item_id, {"sales": 0, "refunds": 0, "earnings_cents": 0})}
        for item_id in ids
    ]
    rows.sort(key=lambda r: (-r["earnings_cents"], -r["views"], -r["id"]))
    return rows


def per_post(user_id: int, rng: DateRange) -> list[dict]:
    return engagement.per_post(user_id, rng)


def metric_rows(summary: dict, metric: str) -> list[tuple[str, int]]:
    """(date, value) rows of one metric: the chart's table and its CSV."""
    return [(d["date"], d["value"]) for d in summary[metric]["daily"]]
