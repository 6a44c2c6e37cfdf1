"""Engagement and audience figures: views, likes, comments, followers.

Each source is read once per range, grouped by day and by post or item, so the per-day
series and the per-post and per-item tables come from the same rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Favorite, Item, Review
from app.models.social import Comment, DailyStat, Follow, FollowEvent, Like, Post
from app.services.analytics.ranges import DateRange


@dataclass
class Tally:
    """Counts by day and by target (post or item id)."""

    by_day: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    by_target: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, day: date, target_id: int, n: int) -> None:
        self.by_day[day] += n
        self.by_target[target_id] += n


def views(owner_id: int, rng: DateRange) -> dict[str, Tally]:
    """Views of the owner's posts and items from the daily rollups: {"post": Tally, "item": Tally}
    (use `all` for the per-day total)."""
    tallies = {"post": Tally(), "item": Tally(), "all": Tally()}
    rows = db.session.execute(
        sa.select(DailyStat.day, DailyStat.target_type, DailyStat.target_id, DailyStat.views)
        .where(DailyStat.owner_id == owner_id, DailyStat.day.between(rng.start, rng.end))
    )
    for day, target_type, target_id, n in rows:
        tallies.setdefault(target_type, Tally()).add(day, target_id, n)
        tallies["all"].by_day[day] += n
    return tallies


def _on_my_posts(model, author_id: int, rng: DateRange) -> Tally:
    day = sa.func.date(model.created_at)
    tally = Tally()
    rows = db.session.execute(
        sa.select(day, model.post_id, sa.func.count())
        .join(Post, Post.id == model.post_id)
        .where(Post.author_id == author_id, model.created_at >= rng.begins_at,
               model.created_at < rng.ends_before)
        .group_by(day, model.post_id)
    )
    for d, post_id, n in rows:
        tally.add(d, post_id, n)
    return tally


def likes(author_id: int, rng: DateRange) -> Tally:
    return _on_my_posts(Like, author_id, rng)


def comments(author_id: int, rng: DateRange) -> Tally:
    return _on_my_posts(Comment, author_id, rng)


def item_reactions(creator_id: int, rng: DateRange) -> dict[str, dict[int, int]]:
    """Favorites and reviews of the creator's items made in the range, per item."""
    out = {}
    for name, model in (("favorites", Favorite), ("reviews", Review)):
        out[name] = dict(db.session.execute(
            sa.select(model.item_id, sa.func.count())
            .join(Item, Item.id == model.item_id)
            .where(Item.creator_id == creator_id, model.created_at >= rng.begins_at,
                   model.created_at < rng.ends_before)
            .group_by(model.item_id)
        ).all())
    return out


def followers(followee_id: int, rng: DateRange) -> dict[str, dict[date, int]]:
    """`gained` and `lost` per day in the range, and `total`, the followers at the end of
    each day: today's count walked back through the events since the range began."""
    day = sa.func.date(FollowEvent.created_at)
    rows = db.session.execute(
        sa.select(day, FollowEvent.kind, sa.func.count())
        .where(FollowEvent.followee_id == followee_id, FollowEvent.created_at >= rng.begins_at)
        .group_by(day, FollowEvent.kind)
    )
    gained, lost, net = defaultdict(int), defaultdict(int), defaultdict(int)
    for d, kind, n in rows:
        net[d] += n if kind == "follow" else -n
        if d <= rng.end:
            (gained if kind == "follow" else lost)[d] += n
    current = db.session.scalar(sa.select(sa.func.count()).select_from(Follow)
                                .where(Follow.followee_id == followee_id))
    running = current - sum(n for d, n in net.items() if d > rng.end)
    totals = {}
    for d in reversed(rng.days):
        totals[d] = running
        running -= net.get(d, 0)
    return {"gained": gained, "lost": lost, "total": totals}


def post_rows(post_views: Tally, post_likes: Tally, post_comments: Tally, *, limit: int = 20) -> list[dict]:
    """The posts with views, likes or comments in the range, busiest first."""
    ids = set(post_views.by_target) | set(post_likes.by_target) | set(post_comments.by_target)
    if not ids:
        return []
    bodies = dict(db.session.execute(sa.select(Post.id, Post.body).where(Post.id.in_(ids))).all())
    rows = [
        {"id": pid, "title": _excerpt(bodies[pid]), "views": post_views.by_target.get(pid, 0),
         "likes": post_likes.by_target.get(pid, 0), "comments": post_comments.by_target.get(pid, 0)}
        for pid in ids if pid in bodies
    ]
    rows.sort(key=lambda r: (-(r["views"] + r["likes"] + r["comments"]), -r["id"]))
    return rows[:limit]


def _excerpt(text: str, length: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"
