"""Creators to show on the signed-out front page: those who published most recently."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Item

# The newest published items are read from the end of the publication order, then grouped by
# creator: no count over the whole catalogue.
_RECENT = (
    sa.select(Item.creator_id, Item.published_at)
    .where(Item.status == "published", Item.deleted_at.is_(None), Item.published_at.is_not(None))
    .order_by(Item.published_at.desc())
    .limit(200)
    .subquery()
)
_CREATORS = (
    sa.select(_RECENT.c.creator_id)
    .group_by(_RECENT.c.creator_id)
    .order_by(sa.func.max(_RECENT.c.published_at).desc())
    .limit(sa.bindparam("limit", type_=sa.Integer()))
)


def recent_creator_ids(*, limit: int = 6) -> list[int]:
    """The ids of the creators who published most recently, the latest first."""
    return list(db.session.scalars(_CREATORS, {"limit": limit}))
