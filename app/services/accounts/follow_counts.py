"""Follower and following counts for many users in one query each: the counts of the API's
`User` object and of a profile (the follows themselves are `app.services.social.follows`)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Follow


def follow_counts(user_ids: list[int]) -> dict[int, dict[str, int]]:
    counts = {uid: {"followers": 0, "following": 0} for uid in user_ids}
    if not user_ids:
        return counts
    for column, name in ((Follow.followee_id, "followers"), (Follow.follower_id, "following")):
        rows = db.session.execute(
            sa.select(column, sa.func.count()).where(column.in_(user_ids)).group_by(column)
        )
        for uid, n in rows:
            counts[uid][name] = n
    return counts


def is_following(follower_id: int, followee_id: int) -> bool:
    return db.session.get(Follow, (follower_id, followee_id)) is not None
