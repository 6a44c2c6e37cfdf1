"""URL converters: an `<int:...>` id that no database column can hold does not match the
route (404), instead of overflowing the driver (SQLite's and PostgreSQL's BIGINT)."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_converters(app) -> None:
    app.url_map.converters["int"] = IdConverter
