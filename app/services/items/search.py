"""Browsing and text search of items: ONE query function for the marketplace, the shops
and the API. Full-text search is PostgreSQL's, over an expression GIN index on
`items.search_text`, which `index_item` keeps up to date."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Item, ItemTag
from app.services.accounts.visibility import suspended_user_ids
from app.services.errors import Invalid
from app.services.ids import MAX_ID
from app.services.items.policies import viewer_id
from app.services.numbers import BIGINT_MAX, to_int
from app.services.pagination import clean_limit  # noqa: F401 - re-exported
from app.services.social.blocks import blocked_user_ids

TOKEN_RE = re.compile(r"\w+", re.UNICODE)
SORTS = ("new", "popular")


def search_text_of(item: Item) -> str:
    return " ".join([item.title or "", item.description or "", " ".join(item.tags or [])])


def index_item(item: Item) -> None:
    """Refresh the item's search text; call after each change."""
    item.search_text = search_text_of(item)
    db.session.flush()


def _text_condition(q: str):
    """Every word of `q`, each as a prefix; the words only (operators never reach
    `to_tsquery`, so any text is a search, never a syntax error)."""
    tokens = TOKEN_RE.findall(q.lower())[:8]
    if not tokens:
        return None
    query = " & ".join(f"{t}:*" for t in tokens)
    return sa.func.to_tsvector(sa.literal_column("'simple'"), Item.search_text).op("@@")(
        sa.func.to_tsquery(sa.literal_column("'simple'"), query))


@dataclass
class Page:
    items: list[Item]
    next_cursor: str | None


def _encode_cursor(sort: str, item: Item) -> str:
    key = item.popularity if sort == "popular" else (item.published_at or item.created_at).isoformat()
    raw = json.dumps([sort, key, item.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str):
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, key, last_id = json.loads(raw)
        last_id = to_int(last_id, minimum=0, maximum=MAX_ID, strings=False)
        if kind != sort or last_id is None:
            raise ValueError
        key = to_int(key, minimum=-BIGINT_MAX, maximum=BIGINT_MAX) if sort == "popular" \
            else datetime.fromisoformat(key)
        if key is None:
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError):
        raise Invalid("That page link is not valid.", code="invalid_cursor",
                      fields={"cursor": "Not a cursor of this list."}) from None
    return key, last_id


def search_items(viewer=None, *, q: str | None = None, kind: str | None = None, tag: str | None = None,
                 creator_id: int | None = None, sort: str = "new", cursor: str | None = None,
                 limit=20, include_drafts: bool = False) -> Page:
    """Published, undeleted items the viewer may see (no blocked creators), filtered and
    sorted, one keyset page at a time. `include_drafts` is for a creator's own shop."""
    sort = sort or "new"
    if sort not in SORTS:
        raise Invalid("Sort by new or popular.", code="validation_failed", fields={"sort": "new or popular."})
    limit = clean_limit(limit)
    stmt = sa.select(Item).where(Item.deleted_at.is_(None))
    if include_drafts and creator_id is not None and creator_id == viewer_id(viewer):
        pass
    else:
        stmt = stmt.where(Item.status == "published")
    if creator_id is not None:
        stmt = stmt.where(Item.creator_id == creator_id)
    hidden = blocked_user_ids(viewer_id(viewer)) | suspended_user_ids()
    if hidden:
        stmt = stmt.where(Item.creator_id.not_in(hidden))
    if kind:
        stmt = stmt.where(Item.kind == kind)
    if tag:
        stmt = stmt.where(Item.id.in_(sa.select(ItemTag.item_id).where(ItemTag.tag == tag.strip().lower())))
    if q and q.strip():
        condition = _text_condition(q)
        if condition is not None:
            stmt = stmt.where(condition)
    key_col = Item.popularity if sort == "popular" else sa.func.coalesce(Item.published_at, Item.created_at)
    if cursor:
        key, last_id = _decode_cursor(cursor, sort)
        stmt = stmt.where(sa.or_(key_col < key, sa.and_(key_col == key, Item.id < last_id)))
    rows = list(db.session.scalars(stmt.order_by(key_col.desc(), Item.id.desc()).limit(limit + 1)))
    next_cursor = _encode_cursor(sort, rows[limit - 1]) if len(rows) > limit else None
    return Page(rows[:limit], next_cursor)
