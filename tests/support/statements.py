"""The statements a block of a test runs, as the engines' cursor listeners are shown them."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db


class Statements:
    """Each statement the app's engines execute inside the block (`seen`: the statement and
    whether its connection was in the driver's autocommit). `keep` picks which to record."""

    def __init__(self, keep=lambda statement: True):
        self.keep = keep
        self.seen: list[tuple[str, bool]] = []

    @property
    def statements(self) -> list[str]:
        return [statement for statement, _ in self.seen]

    def __call__(self, conn, cursor, statement, *args):
        if self.keep(statement):
            self.seen.append((statement, bool(getattr(conn.connection.dbapi_connection, "autocommit", False))))

    def __enter__(self):
        self.engines = set(db.engines.values())
        for engine in self.engines:
            sa.event.listen(engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        for engine in self.engines:
            sa.event.remove(engine, "before_cursor_execute", self)
