"""Blocks: the lookups every domain uses (a block hides two users from each other
everywhere), and blocking, which also ends the follows between the two."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.social import Block, Follow, FollowEvent
from app.services.accounts import users_by_id
from app.services.errors import Invalid
from app.services.ids import MAX_ID
from app.services.social.sql import insert_ignore

# Built once: the chat relay asks this for every message it stores.
_BLOCKED_BETWEEN = sa.select(sa.literal(1)).select_from(Block).where(
    sa.or_(
        sa.and_(Block.blocker_id == sa.bindparam("a"), Block.blocked_id == sa.bindparam("b")),
        sa.and_(Block.blocker_id == sa.bindparam("b"), Block.blocked_id == sa.bindparam("a")),
    )
).limit(1)


def is_blocked_between(a_id: int | None, b_id: int | None) -> bool:
    """True when either user blocked the other."""
    if not a_id or not b_id or a_id == b_id:
        return False
    return bool(db.session.scalar(_BLOCKED_BETWEEN, {"a": a_id, "b": b_id}))


def is_blocked_between_committed(a_id: int | None, b_id: int | None) -> bool:
    """is_blocked_between on a pooled connection of its own, without an ORM session: for
    callers with no transaction of their own (the chat relay, once per message), which
    must see every committed block and have nothing uncommitted to see."""
    if not a_id or not b_id or a_id == b_id:
        return False
    with db.engines[Block.__bind_key__].connect() as connection:
        return bool(connection.execute(_BLOCKED_BETWEEN, {"a": a_id, "b": b_id}).scalar())


def blocked_user_ids(user_id: int | None) -> set[int]:
    """Everyone `user_id` blocked or was blocked by."""
    if not user_id:
        return set()
    rows = db.session.execute(
        sa.select(Block.blocker_id, Block.blocked_id).where(
            sa.or_(Block.blocker_id == user_id, Block.blocked_id == user_id)
        )
    )
    return {b if a == user_id else a for a, b in rows}


def block_user(user, target) -> bool:
    """Block `target`: both stop seeing each other, and follows both ways are removed."""
    if target.id == user.id:
        raise Invalid("You cannot block yourself.", code="cannot_block_self", fields={"user_id": "That is you."})
    insert_ignore(Block, {"blocker_id": user.id, "blocked_id": target.id, "created_at": utcnow()})
    remove_follows_between(user.id, target.id)
    return True


def remove_follows_between(a_id: int, b_id: int) -> None:
    """End the follows between two users, both ways, as a block does; each ended follow
    goes into the follow history (`FollowEvent`) as an unfollow for the reason "block"."""
    both_ways = sa.or_(
        sa.and_(Follow.follower_id == a_id, Follow.followee_id == b_id),
        sa.and_(Follow.follower_id == b_id, Follow.followee_id == a_id),
    )
    ended = db.session.execute(sa.select(Follow.follower_id, Follow.followee_id).where(both_ways)).all()
    db.session.execute(sa.delete(Follow).where(both_ways))
    for follower_id, followee_id in ended:
        db.session.add(FollowEvent(follower_id=follower_id, followee_id=followee_id, kind="unfollow",
                                   reason="block"))


def unblock_user(user, target_id: int) -> bool:
    if not 0 < target_id <= MAX_ID:
        return False
    db.session.execute(sa.delete(Block).where(Block.blocker_id == user.id, Block.blocked_id == target_id))
    return False


def list_blocked(user) -> list:
    """The users `user` blocked, most recent first."""
    ids = list(db.session.scalars(
        sa.select(Block.blocked_id).where(Block.blocker_id == user.id).order_by(Block.created_at.desc())))
    people = users_by_id(ids)
    return [people[i] for i in ids if i in people]
