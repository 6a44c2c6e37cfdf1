"""Engagement and audience figures: views, likes, comments, followers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Comment, DailyStat, Follow, FollowEvent, Like, Post
from app.services.analytics.ranges import DateRange
from app.services.analytics.series import as_day


def _count_by_day(query) -> dict[date, int]:
    return {as_day(day): int(n) for day, n in db.session.execute(query)}


def views_by_day(owner_id: int, rng: DateRange) -> dict[date, int]:
    return _count_by_day(
        sa.select(DailyStat.day, sa.func.sum(DailyStat.views))
        .where(DailyStat.owner_id == owner_id, DailyStat.day.between(rng.start, rng.end))
        .group_by(DailyStat.day)
    )


def _on_my_posts(model, author_id: int, rng: DateRange):
    day = sa.func.date(model.created_at)
    return (
        sa.select(day, sa.func.count())
        .join(Post, Post.id == model.post_id)
        .where(Post.author_id == author_id, model.created_at >= rng.begins_at,
               model.created_at < rng.ends_before)
        .group_by(day)
    )


def likes_by_day(author_id: int, rng: DateRange) -> dict[date, int]:
    return _count_by_day(_on_my_posts(Like, author_id, rng))


def comments_by_day(author_id: int, rng: DateRange) -> dict[date, int]:
    return _count_by_day(_on_my_posts(Comment, author_id, rng))


def follow_events_by_day(followee_id: int, kind: str, since, until=None) -> dict[date, int]:
    day = sa.func.date(FollowEvent.created_at)
    query = sa.select(day, sa.func.count()).where(
        FollowEvent.followee_id == followee_id, FollowEvent.kind == kind, FollowEvent.created_at >= since
    )
    if until is not None:
        query = query.where(FollowEvent.created_at < until)
    return _count_by_day(query.group_by(day))


def followers_running_total(followee_id: int, rng: DateRange) -> dict[date, int]:
    """Followers at the end of each day: today's count, walked back through the follow
    events since the range began."""
    current = db.session.scalar(sa.select(sa.func.count()).select_from(Follow)
                                .where(Follow.followee_id == followee_id))
    gained = follow_events_by_day(followee_id, "follow", rng.begins_at)
    lost = follow_events_by_day(followee_id, "unfollow", rng.begins_at)
    net = defaultdict(int)
    for day, n in gained.items():
        net[day] += n
    for day, n in lost.items():
        net[day] -= n
    later = sum(n for day, n in net.items() if day > rng.end)
    totals, running = {}, current - later
    for day in reversed(rng.days):
        totals[day] = running
        running -= net.get(day, 0)
    return totals


def per_post(author_id: int, rng: DateRange, *, limit: int = 20) -> list[dict]:
    """The creator's posts with views, likes or comments in the range, busiest first."""
    views = dict(db.session.execute(
        sa.select(DailyStat.target_id, sa.func.sum(DailyStat.views))
        .where(DailyStat.owner_id == author_id, DailyStat.target_type == "post",
               DailyStat.day.between(rng.start, rng.end))
        .group_by(DailyStat.target_id)
    ).all())
    counts = {}
    for model in (Like, Comment):
        counts[model] = dict(db.session.execute(
            sa.select(model.post_id, sa.func.count())
            .join(Post, Post.id == model.post_id)
            .where(Post.author_id == author_id, model.created_at >= rng.begins_at,
                   model.created_at < rng.ends_before)
            .group_by(model.post_id)
        ).all())
    ids = set(views) | set(counts[Like]) | set(counts[Comment])
    posts = {p.id: p for p in db.session.scalars(sa.select(Post).where(Post.id.in_(ids)))} if ids else {}
    rows = [
        {"id": pid, "title": _excerpt(posts[pid].body), "views": int(views.get(pid, 0)),
         "likes": int(counts[Like].get(pid, 0)), "comments": int(counts[Comment].get(pid, 0))}
        for pid in ids if pid in posts
    ]
    rows.sort(key=lambda r: (-(r["views"] + r["likes"] + r["comments"]), -r["id"]))
    return rows[:limit]


def item_views(owner_id: int, rng: DateRange) -> dict[int, int]:
    return {int(k): int(v) for k, v in db.session.execute(
        sa.select(DailyStat.target_id, sa.func.sum(DailyStat.views))
        .where(DailyStat.owner_id == owner_id, DailyStat.target_type == "item",
               DailyStat.day.between(rng.start, rng.end))
        .group_by(DailyStat.target_id)
    )}


def _excerpt(text: str, length: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"
