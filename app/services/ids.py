"""Ids that come from a request: a positive integer a database column can hold, or None.
Every id column is an INTEGER, and the driver binds a value with its column's type, so a
larger number is refused here (not found) instead of overflowing in the statement."""

from __future__ import annotations

from app.services.numbers import INTEGER_MAX, to_int

MAX_ID = INTEGER_MAX


def as_id(value: object) -> int | None:
    return to_int(value, minimum=1, maximum=MAX_ID)
