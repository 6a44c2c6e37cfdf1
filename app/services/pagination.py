"""The page size rule every list of the API shares: `?limit=` from 1 to 100, 20 by default."""

from __future__ import annotations

from app.services.errors import Invalid

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def clean_limit(value, default: int = DEFAULT_LIMIT) -> int:
    """`?limit=` as an int in 1..100 (`default` when absent); Invalid for anything else."""
    if value in (None, ""):
        return default
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise Invalid(f"limit must be a whole number from 1 to {MAX_LIMIT}.", code="validation_failed",
                      fields={"limit": f"A number from 1 to {MAX_LIMIT}."})
    return int(text)
