"""URL converters: an `<int:...>` id is ASCII digits (`\\d` would also match "١٢"), and one
that no database column can hold is not found (404), instead of overflowing the driver
(PostgreSQL's BIGINT)."""

from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.services.ids import MAX_ID
from app.services.numbers import to_int


class IdConverter(IntegerConverter):
    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = to_int(value, minimum=0, maximum=MAX_ID)
        if number is None:
            # Not a ValidationError: that would let the router answer 405 from another rule.
            raise NotFound()
        return number


def init_converters(app) -> None:
    app.url_map.converters["int"] = IdConverter
