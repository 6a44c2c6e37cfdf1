"""Opaque, signed keyset cursors: (created_at, id) of the last row of a page."""

from __future__ import annotations

import functools
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, Serializer, URLSafeSerializer
from itsdangerous.encoding import base64_encode

from app.models.base import UTCDateTime
from app.services.errors import Invalid
from app.services.pagination import clean_limit  # noqa: F401 - re-exported

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def _serializer() -> URLSafeSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


class CursorSerializer(URLSafeSerializer):
    """URL-safe and signed, never compressed: a cursor's JSON is about 45 bytes, which zlib
    does not shorten, and trying (a fresh compressor each time) cost more than the rest of
    the signing. Compressed cursors made before still load."""

    def dump_payload(self, obj) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


@functools.lru_cache(maxsize=8)
def _serializer_for(secret_key: str) -> URLSafeSerializer:
    """One serializer per secret: every feed page signs a cursor."""
    return CursorSerializer(secret_key, salt="dreamdot.cursor")


def encode_cursor(created_at: datetime, row_id: int) -> str:
    return _serializer().dumps([created_at.isoformat(), row_id])


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """None for the first page; Invalid (400 `invalid_cursor`) for anything not ours."""
    if not cursor:
        return None
    bad = Invalid("That page link is damaged or out of date. Start again from the first page.",
                  code="invalid_cursor", fields={"cursor": "Not a valid cursor."})
    try:
        when, row_id = _serializer().loads(cursor)
        when = datetime.fromisoformat(when)
    except (BadSignature, ValueError, TypeError):
        raise bad from None
    if not isinstance(row_id, int) or when.tzinfo is None:
        raise bad
    return when, row_id


def keyset(query, time_col, id_col, cursor: str | None, limit: int):
    """Newest first after the cursor, one extra row to know whether a next page exists."""
    position = decode_cursor(cursor)
    if position is not None:
        when, row_id = position
        query = query.where(
            sa.tuple_(time_col, id_col) < sa.tuple_(sa.literal(when, UTCDateTime()), sa.literal(row_id))
        )
    return query.order_by(time_col.desc(), id_col.desc()).limit(limit + 1)


def split_page(rows: list, limit: int, key) -> tuple[list, str | None]:
    """The page's rows and the next cursor (None at the end)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    created_at, row_id = key(rows[-1])
    return rows, encode_cursor(created_at, row_id)
