"""Checking item fields: one set of rules for pages and the API."""

from __future__ import annotations

import re

from app.models.items import KINDS, PRICINGS
from app.services.errors import Invalid
from app.services.names import one_line_name
from app.services.numbers import BIGINT_MAX, to_int

MAX_PRICE_CENTS = 100_000_00  # $100,000.00
MAX_TAGS = 10
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def _int(value, name: str, errors: dict) -> int | None:
    number = to_int(value, minimum=-BIGINT_MAX, maximum=BIGINT_MAX)
    if number is None:
        errors[name] = "Must be a whole number."
    return number


def clean_tags(value) -> tuple[list[str], str | None]:
    if value is None:
        return [], None
    if isinstance(value, str):
        raw = re.split(r"[,\s]+", value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        raw = value
    else:
        return [], "Tags are a list of words."
    tags = []
    for tag in raw:
        tag = tag.strip().lstrip("#").lower()
        if not tag:
            continue
        if not TAG_RE.match(tag):
            return [], f"“{tag[:40]}” is not a tag: letters, digits and dashes, at most 32."
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        return [], f"At most {MAX_TAGS} tags."
    return tags, None


def clean_item_fields(data: dict, *, partial: bool = False, current=None) -> dict:
    """Checked values of the given fields (`partial`: only those present), else Invalid
    with every field's reason. `current` (an Item) fills pricing/price for the cross-check."""
    errors: dict[str, str] = {}
    out: dict = {}
    if not partial or "kind" in data:
        if data.get("kind") not in KINDS:
            errors["kind"] = "Choose download, writing, art or comic."
        else:
            out["kind"] = data["kind"]
    if not partial or "title" in data:
        title = data.get("title")
        title = one_line_name(title) if isinstance(title, str) else ""
        if not title:
            errors["title"] = "A title is required."
        elif len(title) > 120:
            errors["title"] = "At most 120 characters."
        out["title"] = title
    if not partial or "description" in data:
        description = data.get("description") or ""
        if not isinstance(description, str):
            errors["description"] = "Must be text."
        elif len(description) > 5000:
            errors["description"] = "At most 5,000 characters."
        out["description"] = description.strip() if isinstance(description, str) else ""
    if not partial or "tags" in data:
        out["tags"], why = clean_tags(data.get("tags"))
        if why:
            errors["tags"] = why
    if not partial or "pricing" in data or "price_cents" in data:
        pricing = data.get("pricing", current.pricing if current is not None else None)
        if pricing not in PRICINGS:
            errors["pricing"] = "Choose free, one_time or subscription."
        else:
            out["pricing"] = pricing
        raw_price = data.get("price_cents", current.price_cents if current is not None else 0)
        if raw_price in (None, ""):
            raw_price = 0
        price = _int(raw_price, "price_cents", errors)
        if price is not None and pricing in PRICINGS:
            if price < 0:
                errors["price_cents"] = "The price cannot be negative."
            elif price > MAX_PRICE_CENTS:
                errors["price_cents"] = "At most $100,000.00."
            elif pricing == "one_time" and price == 0:
                errors["price_cents"] = "A paid item needs a price above $0.00 (or make it free)."
            elif pricing != "one_time":
                price = 0  # free and subscription items carry no price of their own
            out["price_cents"] = price
    if errors:
        raise Invalid("Some fields need another look.", code="validation_failed", fields=errors)
    return out


def parse_dollars(value: str | None) -> int | str | None:
    """A price typed in dollars ("4.99") as cents; anything else is passed through for
    `clean_item_fields` to refuse with a clear reason."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().lstrip("$")
    match = re.fullmatch(r"(-?)([0-9]{1,13})(?:\.([0-9]{1,2}))?", text)
    if not match:
        return "not-a-number"
    sign, whole, cents = match.groups()
    amount = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    return -amount if sign else amount
