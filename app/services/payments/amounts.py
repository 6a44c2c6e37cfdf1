"""Checking amounts that come from people: whole, positive cents within bounds."""

from __future__ import annotations

from app.services.errors import Invalid
from app.services.numbers import BIGINT_MAX, parse_int, whole_number


def parse_cents(value, *, field: str = "amount_cents", minimum: int = 1, maximum: int = 100_000_000) -> int:
    """An int (or a string of digits from a form) between the bounds, else Invalid."""
    if isinstance(value, bool) or value is None:
        raise Invalid("Give an amount in whole cents.", code="invalid_amount", fields={field: "Required."})
    number = whole_number(value)
    if number is None:
        raise Invalid("Give an amount in whole cents.", code="invalid_amount",
                      fields={field: "Whole cents only (no decimals)."})
    if number < minimum or number > maximum:
        raise Invalid(f"The amount must be between {dollars(minimum)} and {dollars(maximum)}.",
                      code="invalid_amount", fields={field: f"Between {dollars(minimum)} and {dollars(maximum)}."})
    return number


def parse_expected_price(value, *, strings: bool = True) -> int | None:
    """The price a buyer saw (`expected_price_cents`), None when not given; the purchase or
    subscription answers 409 price_changed when it is no longer the price. Any whole number
    of cents a price column can hold; `strings=False` where only a JSON integer is taken."""
    if value is None:
        return None
    return parse_int(value, field="expected_price_cents", minimum=0, maximum=BIGINT_MAX, strings=strings,
                     code="invalid_amount", message="That price is not whole cents.",
                     reason="Whole cents only.")


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"
