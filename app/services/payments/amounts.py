"""Checking amounts that come from people: whole, positive cents within bounds."""

from __future__ import annotations

from app.services.errors import Invalid


def parse_cents(value, *, field: str = "amount_cents", minimum: int = 1, maximum: int = 100_000_000) -> int:
    """An int (or a string of digits from a form) between the bounds, else Invalid."""
    if isinstance(value, bool) or value is None:
        raise Invalid("Give an amount in whole cents.", code="invalid_amount", fields={field: "Required."})
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            raise Invalid("Give an amount in whole cents.", code="invalid_amount",
                          fields={field: "Whole cents only (no sign, no decimals)."})
        value = int(text)
    if isinstance(value, float) or not isinstance(value, int):
        raise Invalid("Give an amount in whole cents.", code="invalid_amount",
                      fields={field: "Whole cents only."})
    if value < minimum or value > maximum:
        raise Invalid(f"The amount must be between {dollars(minimum)} and {dollars(maximum)}.",
                      code="invalid_amount", fields={field: f"Between {dollars(minimum)} and {dollars(maximum)}."})
    return value


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"
