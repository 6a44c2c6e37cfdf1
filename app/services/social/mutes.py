"""Mutes: one way and silent. The muted user's posts leave my feeds and their activity
makes no notification (`notify` checks); nothing tells them."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.social import Mute
from app.services.accounts import users_by_id
from app.services.errors import Invalid
from app.services.ids import MAX_ID
from app.services.social.sql import insert_ignore


def mute_user(user: User, target: User) -> bool:
    if target.id == user.id:
        raise Invalid("You cannot mute yourself.", code="cannot_mute_self", fields={"user_id": "That is you."})
    insert_ignore(Mute, {"muter_id": user.id, "muted_id": target.id, "created_at": utcnow()})
    return True


def unmute_user(user: User, target_id: int) -> bool:
    if not 0 < target_id <= MAX_ID:
        return False
    db.session.execute(sa.delete(Mute).where(Mute.muter_id == user.id, Mute.muted_id == target_id))
    return False


def has_muted(user_id: int | None, other_id: int) -> bool:
    return bool(user_id) and db.session.get(Mute, (user_id, other_id)) is not None


def list_muted(user: User) -> list[User]:
    ids = list(db.session.scalars(
        sa.select(Mute.muted_id).where(Mute.muter_id == user.id).order_by(Mute.created_at.desc())))
    people = users_by_id(ids)
    return [people[i] for i in ids if i in people]
