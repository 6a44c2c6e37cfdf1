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


def creator_report(user_id: int, rng: DateRange, *, now: datetime | None = None, tables: bool = True) -> dict:
    """Everything of the analytics page: `summary` (as the API returns it), `posts` and
    `items` (the per-post and per-item tables). Each source is read once."""
    now = now or utcnow()
    seen = engagement.views(user_id, rng)
    liked, commented = engagement.likes(user_id, rng), engagement.comments(user_id, rng)
    money = earnings.earnings(user_id, rng)
    subs = earnings.subscribers(user_id, rng, now)
    follows = engagement.followers(user_id, rng)
    daily = money["daily"]
    summary = {
        "range": rng.as_dict(),
        "views": series(rng, seen["all"].by_day),
        "likes": series(rng, liked.by_day),
        "comments": series(rng, commented.by_day),
        "earnings_cents": series(rng, daily["earnings_cents"]),
        "sales": series(rng, daily["sales"]),
        "subscription_cents": series(rng, daily["subscription_cents"]),
        "refunds_cents": series(rng, daily["refunds_cents"]),
        "followers_gained": series(rng, follows["gained"]),
        "followers_lost": series(rng, follows["lost"]),
        "followers_total": series(rng, follows["total"], total=follows["total"].get(rng.end, 0)),
        "subscribers": series(rng, subs["gained"]),
        "subscribers_lapsed": series(rng, subs["lapsed"]),
        "active_subscribers": subs["active"],
        "mrr_cents": subs["mrr_cents"],
    }
    if not tables:
        return {"summary": summary, "posts": [], "items": []}
    return {"summary": summary, "posts": engagement.post_rows(seen["post"], liked, commented),
            "items": _item_rows(seen["item"], money["items"], engagement.item_reactions(user_id, rng))}


def creator_summary(user_id: int, rng: DateRange, *, now: datetime | None = None) -> dict:
    """`range`, then every metric of METRICS as {"total", "daily": [{"date", "value"}]},
    plus `mrr_cents` and `active_subscribers` (figures as of now)."""
    return creator_report(user_id, rng, now=now, tables=False)["summary"]


def _item_rows(item_views, money: dict, reactions: dict) -> list[dict]:
    ids = set(item_views.by_target) | set(k for k in money if k is not None)
    ids |= set(reactions["favorites"]) | set(reactions["reviews"])
    titles = earnings.item_titles(ids)
    rows = [
        {"id": item_id, "title": titles.get(item_id, f"Item #{item_id}"), "views": item_views.by_target.get(item_id, 0),
         "favorites": reactions["favorites"].get(item_id, 0), "reviews": reactions["reviews"].get(item_id, 0),
         **money.get(item_id, {"sales": 0, "refunds": 0, "earnings_cents": 0})}
        for item_id in ids
    ]
    rows.sort(key=lambda r: (-r["earnings_cents"], -r["views"], -r["id"]))
    return rows


def per_item(user_id: int, rng: DateRange) -> list[dict]:
    return creator_report(user_id, rng)["items"]


def per_post(user_id: int, rng: DateRange) -> list[dict]:
    return creator_report(user_id, rng)["posts"]


def metric_rows(summary: dict, metric: str) -> list[tuple[str, int]]:
    """(date, value) rows of one metric: the chart's table and its CSV."""
    return [(d["date"], d["value"]) for d in summary[metric]["daily"]]
