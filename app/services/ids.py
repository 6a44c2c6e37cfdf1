"""Ids that come from a request: a positive integer a database column can hold, or None."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def as_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= MAX_ID else None
