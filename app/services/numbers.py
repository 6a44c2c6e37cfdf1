"""Whole numbers that come from people (a query string, a form, a JSON body, a header, an
unsigned cursor): one rule for every field, and every field has bounds.

A number is ASCII digits with an optional sign ("12", "-3", " 7 "), or a JSON integer; never
`true`, `2.0` or `1e20` (floats), and never other digits: `str.isdigit()` is true for "¹" and
"²", which int() then refuses, and int() itself reads "١٢", "１２" and "1_000". A number
outside its bounds, even one of a hundred digits, is refused like any other bad value."""

from __future__ import annotations

import re

from app.services.errors import Invalid

BIGINT_MAX = 2**63 - 1  # what a PostgreSQL BIGINT (every amount column) holds
INTEGER_MAX = 2**31 - 1  # what a PostgreSQL INTEGER (every id column) holds
_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")  # longer is past every bound; int() is never asked
_REQUIRED = object()


def whole_number(value, *, strings: bool = True) -> int | None:
    """The int `value` stands for (a digit string only when `strings`), or None. Unbounded:
    callers check a range, or use `to_int` / `parse_int`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if strings and isinstance(value, str):
        text = value.strip()
        if _WHOLE.fullmatch(text):
            return int(text)
    return None


def to_int(value, *, minimum: int, maximum: int, strings: bool = True) -> int | None:
    """`value` as an int from `minimum` to `maximum`, or None."""
    number = whole_number(value, strings=strings)
    return number if number is not None and minimum <= number <= maximum else None


def parse_int(value, *, field: str, minimum: int, maximum: int, strings: bool = True, default=_REQUIRED,
              code: str = "validation_failed", message: str | None = None, reason: str | None = None) -> int:
    """`value` as an int from `minimum` to `maximum`, else Invalid naming `field` (400 with
    `fields={field: reason}`). Absent (None, or blank text) is `default`, or Invalid when the
    field is required. `strings=False` for a JSON field that takes only a JSON integer."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not _REQUIRED:
            return default
        raise Invalid(f"{field} is required.", code=code, fields={field: "Required."})
    number = to_int(value, minimum=minimum, maximum=maximum, strings=strings)
    if number is None:
        bounds = f"from {minimum} to {maximum}" if maximum < BIGINT_MAX else f"of at least {minimum}"
        raise Invalid(message or f"{field} must be a whole number {bounds}.", code=code,
                      fields={field: reason or f"A whole number {bounds}."})
    return number
