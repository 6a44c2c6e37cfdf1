"""Demo social data for `flask seed`: follows, posts, likes and comments in bulk inserts, not
a statement per row, so large sizes seed quickly. Adds up to the requested sizes: what is
already there is kept and counted."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from app.models.base import utcnow
from app.models.social import Comment, Follow, Like, Post

CHUNK = 5000
WORDS = ("ink sketch comic page draft colour study night city forest loop sample chapter "
         "panel lineart commission stream update thanks preview print zine poem sound").split()


def _bulk(model, rows: list[dict], *, ignore_conflicts: bool = False) -> None:
    statement = insert(model)
    if ignore_conflicts:
        statement = statement.on_conflict_do_nothing()
    for start in range(0, len(rows), CHUNK):
        db.session.execute(statement, rows[start:start + CHUNK])


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _body(rng: random.Random, users: list, i: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 30)))
    if i % 17 == 0:
        words += f" cc @{rng.choice(users).username}"
    if i % 23 == 0:
        words += " https://example.com/work"
    return words.capitalize() + "."


def seed_social(users: list, *, posts: int, follows_per_user: int, likes: int, comments: int,
                seed: int = 42) -> dict[str, int]:
    rng = random.Random(seed)
    ids = [u.id for u in users]
    if len(ids) < 2:
        return {"posts": _count(Post)}
    now = utcnow()

    follow_rows = []
    for uid in ids:
        picked = [o for o in rng.sample(ids, min(follows_per_user, len(ids) - 1) + 1) if o != uid]
        for other in picked[:follows_per_user]:
            follow_rows.append({"follower_id": uid, "followee_id": other,
                                    "created_at": now - timedelta(minutes=rng.randint(0, 90 * 24 * 60))})
    _bulk(Follow, follow_rows, ignore_conflicts=True)

    missing = max(posts - _count(Post), 0)
    span = 90 * 24 * 3600
    post_rows = [{"author_id": rng.choice(ids), "body": _body(rng, users, i), "images": [],
                  "like_count": 0, "comment_count": 0,
                  "created_at": now - timedelta(seconds=rng.randint(0, span))} for i in range(missing)]
    _bulk(Post, post_rows)

    post_ids = list(db.session.scalars(sa.select(Post.id)))
    if post_ids:
        like_rows = [{"post_id": rng.choice(post_ids), "user_id": rng.choice(ids), "created_at": now}
                     for _ in range(max(likes - _count(Like), 0))]
        _bulk(Like, like_rows, ignore_conflicts=True)
        comment_rows = [{"post_id": rng.choice(post_ids), "author_id": rng.choice(ids),
                         "body": _body(rng, users, i), "created_at": now}
                        for i in range(max(comments - _count(Comment), 0))]
        _bulk(Comment, comment_rows)
        _recount()
    return {"follows": _count(Follow), "posts": _count(Post), "likes": _count(Like),
            "comments": _count(Comment)}


def _recount() -> None:
    """Set the counters on the rows from the like and comment rows, in two statements."""
    for column, model in ((Post.like_count, Like), (Post.comment_count, Comment)):
        n = (sa.select(sa.func.count()).select_from(model).where(model.post_id == Post.id)
             .correlate(Post).scalar_subquery())
        db.session.execute(sa.update(Post).values({column: n}).execution_options(synchronize_session=False))
