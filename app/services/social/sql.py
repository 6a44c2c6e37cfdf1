"""Small SQL helpers the social services share."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from app.services.errors import Invalid, NotFound
from app.services.ids import MAX_ID
from app.services.numbers import whole_number


def insert_ignore(model, values: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was actually inserted.

    Under concurrency the second inserter waits for the first and then does nothing, so the
    caller can update counters only for a real insert."""
    result = db.session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def parse_id(value, name: str = "post_id") -> int:
    """An id from a form, a URL or JSON, or Invalid naming the field; an id no row can have
    (past MAX_ID) is not found."""
    if value is None or value == "":
        raise Invalid(f"{name} is required.", code="validation_failed", fields={name: "Required."})
    number = whole_number(value)
    if number is None or number < 0:
        raise Invalid(f"{name} must be a number.", code="validation_failed", fields={name: "Must be a number."})
    if number > MAX_ID:
        raise NotFound("Not found.")
    return number
