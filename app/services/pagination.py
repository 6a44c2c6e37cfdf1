"""The page size rule every list of the API shares: `?limit=` from 1 to 100, 20 by default."""

from __future__ import annotations

from app.services.numbers import parse_int

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def clean_limit(value, default: int = DEFAULT_LIMIT) -> int:
    """`?limit=` as an int in 1..100 (`default` when absent); Invalid for anything else."""
    return parse_int(value, field="limit", minimum=1, maximum=MAX_LIMIT, default=default,
                     message=f"limit must be a whole number from 1 to {MAX_LIMIT}.",
                     reason=f"A number from 1 to {MAX_LIMIT}.")
