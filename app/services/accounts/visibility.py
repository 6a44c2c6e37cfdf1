"""Whose content is hidden from everyone: suspended users'."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User

_CACHE_KEY = "dreamdot.suspended_user_ids"
_SUSPENDED = sa.select(User.id).where(User.suspended_at.is_not(None))


def suspended_user_ids() -> frozenset[int]:
    """Ids of suspended users, read once per request: cached on the request's session,
    which is removed at the end of every request (and cleared on suspend and reinstate)."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is None:
        cached = frozenset(db.session.scalars(_SUSPENDED))
        db.session.info[_CACHE_KEY] = cached
    return cached


def forget_suspended_user_ids() -> None:
    db.session.info.pop(_CACHE_KEY, None)


def is_hidden_author(user_id: int | None) -> bool:
    return user_id is not None and user_id in suspended_user_ids()
