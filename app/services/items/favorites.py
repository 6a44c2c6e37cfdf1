"""Favorites: a signed-in user marks items they can see."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Favorite, Item
from app.services.errors import Invalid, Unauthorized
from app.services.ids import as_id
from app.services.items.policies import viewer_id
from app.services.items.search import clean_limit
from app.services.social.blocks import blocked_user_ids


def _require(viewer) -> int:
    uid = viewer_id(viewer)
    if uid is None:
        raise Unauthorized("Sign in to keep favorites.")
    return uid


def is_favorite(viewer, item: Item) -> bool:
    uid = viewer_id(viewer)
    return uid is not None and db.session.get(Favorite, (uid, item.id)) is not None


def set_favorite(viewer, item: Item, favorite: bool) -> bool:
    """Idempotent: favoriting twice counts once. Returns the new state."""
    uid = _require(viewer)
    existing = db.session.get(Favorite, (uid, item.id))
    if favorite and existing is None:
        db.session.add(Favorite(user_id=uid, item_id=item.id))
        delta = 1
    elif not favorite and existing is not None:
        db.session.delete(existing)
        delta = -1
    else:
        return favorite
    db.session.flush()
    db.session.execute(sa.update(Item).where(Item.id == item.id).values(
        favorite_count=Item.favorite_count + delta, popularity=Item.popularity + delta))
    db.session.refresh(item)
    return favorite


def list_favorites(viewer, *, cursor=None, limit=20) -> tuple[list[Item], str | None]:
    """The viewer's favorite items still visible in the shop, newest favorite first."""
    uid = _require(viewer)
    limit = clean_limit(limit)
    stmt = (sa.select(Item, Favorite.created_at).join(Favorite, Favorite.item_id == Item.id)
            .where(Favorite.user_id == uid, Item.deleted_at.is_(None), Item.status == "published"))
    hidden = blocked_user_ids(uid)
    if hidden:
        stmt = stmt.where(Item.creator_id.not_in(hidden))
    if cursor not in (None, ""):
        before = as_id(cursor)
        if before is None:
            raise Invalid("That page link is not valid.", code="invalid_cursor", fields={"cursor": "Not valid."})
        stmt = stmt.where(Item.id < before)
    rows = list(db.session.execute(stmt.order_by(Item.id.desc()).limit(limit + 1)))
    items = [row[0] for row in rows]
    return items[:limit], (str(items[limit - 1].id) if len(items) > limit else None)
