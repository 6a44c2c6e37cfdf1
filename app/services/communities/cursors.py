"""Opaque keyset cursors: the sort key of the last row, base64-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from app.services.errors import Invalid
from app.services.numbers import BIGINT_MAX, to_int


def encode_cursor(*values) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, types: tuple) -> tuple | None:
    """The values of a cursor made by `encode_cursor`, checked against `types`, else Invalid."""
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError
        return tuple(_convert(value, kind) for value, kind in zip(raw, types, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid("That cursor is not valid.", code="invalid_cursor", fields={"cursor": "Invalid."}) from None


def _convert(value, kind):
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
        return moment
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind is int:
        value = to_int(value, minimum=-BIGINT_MAX, maximum=BIGINT_MAX, strings=False)
    if value is None or not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError
    return value
