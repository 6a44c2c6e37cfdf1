"""URL converters: an `<int:...>` id that no database column can hold is not found (404),
instead of overflowing the driver (PostgreSQL's BIGINT)."""

from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.services.ids import MAX_ID


class IdConverter(IntegerConverter):
    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            # Not a ValidationError: that would let the router answer 405 from another rule.
            raise NotFound()
        return number


def init_converters(app) -> None:
    app.url_map.converters["int"] = IdConverter
