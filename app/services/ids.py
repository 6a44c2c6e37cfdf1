"""Ids that come from a request: a positive integer a database column can hold, or None."""

from __future__ import annotations

from app.services.numbers import BIGINT_MAX, to_int

MAX_ID = BIGINT_MAX


def as_id(value: object) -> int | None:
    return to_int(value, minimum=1, maximum=MAX_ID)
