"""Follows: idempotent follow and unfollow, and the follower and following lists."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.social import Follow, FollowEvent
from app.services.accounts import users_by_id
from app.services.accounts.visibility import suspended_user_ids
from app.services.errors import Invalid, NotFound
from app.services.notifications import notify
from app.services.social.blocks import blocked_user_ids, is_blocked_between
from app.services.social.cursors import clean_limit, keyset, page_params, split_page
from app.services.social.people import viewer_id
from app.services.social.sql import insert_ignore


def follow_user(user: User, target: User) -> bool:
    """Follow `target`; True. Nobody follows themself; nobody follows across a block (404)."""
    if target.id == user.id:
        raise Invalid("You cannot follow yourself.", code="cannot_follow_self",
                      fields={"user_id": "That is you."})
    if is_blocked_between(user.id, target.id):
        raise NotFound("No such user.")
    if insert_ignore(Follow, {"follower_id": user.id, "followee_id": target.id, "created_at": utcnow()}):
        _record(user.id, target.id, "follow")
        notify(target.id, "follow", actor_id=user.id, target_type="user", target_id=user.id,
               text=f"@{user.username} followed you", url=f"/u/{user.username}")
    return True


def unfollow_user(user: User, target: User) -> bool:
    """Stop following `target` (nothing happens when not following); False."""
    deleted = db.session.execute(sa.delete(Follow).where(Follow.follower_id == user.id,
                                                         Follow.followee_id == target.id)).rowcount
    if deleted:
        _record(user.id, target.id, "unfollow")
    return False


def _record(follower_id: int, followee_id: int, kind: str, reason: str | None = None) -> None:
    """The follow history the creator's audience figures count (rows of `follows` vanish)."""
    db.session.add(FollowEvent(follower_id=follower_id, followee_id=followee_id, kind=kind, reason=reason))


def _follows_of(mine, other) -> sa.Select:
    """Follow rows of one user (`mine`), minus the other users hidden from the viewer. Follow
    has no id column: the other user's id breaks ties within one timestamp."""
    return keyset(
        sa.select(Follow).where(
            mine == sa.bindparam("user_id", type_=sa.Integer()),
            other != sa.all_(sa.bindparam("hidden", type_=sa.ARRAY(sa.Integer())))),
        Follow.created_at, other)


# Built once each; every page of every list runs one of them.
_DIRECTIONS = {
    "followers": (_follows_of(Follow.followee_id, Follow.follower_id), "follower_id"),
    "following": (_follows_of(Follow.follower_id, Follow.followee_id), "followee_id"),
}


def list_follows(user: User, direction: str, viewer, *, cursor: str | None = None, limit=None):
    """(users, next_cursor): who follows `user` ("followers") or whom they follow
    ("following"), most recent first, minus users blocked either way with the viewer."""
    limit = clean_limit(limit, 50)
    statement, other = _DIRECTIONS["followers" if direction == "followers" else "following"]
    hidden = blocked_user_ids(viewer_id(viewer)) | suspended_user_ids()
    params = {"user_id": user.id, "hidden": list(hidden), **page_params(cursor, limit)}
    rows = list(db.session.scalars(statement, params))
    rows, next_cursor = split_page(rows, limit, lambda f: (f.created_at, getattr(f, other)))
    people = users_by_id(getattr(f, other) for f in rows)
    return [people[getattr(f, other)] for f in rows if getattr(f, other) in people], next_cursor
