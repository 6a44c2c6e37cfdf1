"""Hot SELECTs run straight on the driver's cursor.

Running a cached Core statement through SQLAlchemy still costs Python on every call: an
execution context, result metadata, a row object per row. `CompiledSelect` compiles a Core
SELECT once and runs it on the DBAPI cursor of a SQLAlchemy connection, doing what
SQLAlchemy's execution would and nothing more:

- bind parameters go through their types' bind processors, and result columns through
  their result processors (so `UTCDateTime` comes back zone-aware, as elsewhere);
- the statement is executed by SQLAlchemy's cursor execution (`Connection._cursor_execute`):
  `before_cursor_execute`/`after_cursor_execute` listeners see it, the dialect executes
  it, and a driver error is raised as SQLAlchemy's, with a lost connection invalidated and
  the pool's older connections replaced, exactly as for any other statement;
- rows are plain tuples, in the order of the statement's columns;
- the statement is a server-side prepared statement of each connection (`PREPARE` once,
  then `EXECUTE`): PostgreSQL plans it for the first few runs and then keeps a generic
  plan, so a statement every request runs is not planned on every request. A connection
  remembers what it prepared (its pool record's `info`, gone with the connection).
  `DB_PREPARED_STATEMENTS=0` turns it off, for a pooler that shares server connections
  between clients per transaction (PgBouncer's transaction mode).

A statement with expanding (IN-list) parameters runs through SQLAlchemy as usual, with the
same rows. Tested against SQLAlchemy's own execution of the same statements
(tests/services/test_compiled.py)."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

_PARAMETER = re.compile(r"%\((\w+)\)s")  # psycopg2's named parameters
_PREPARED = "dreamdot.prepared"  # a connection's `info` key: the names it has prepared


def use_prepared_statements(engine: sa.Engine, enabled: bool) -> None:
    """Whether `CompiledSelect`s run as prepared statements on this engine."""
    engine.dreamdot_prepare = enabled


class _Form:
    """A compiled statement: SQL, defaults, processors, and its PREPARE and EXECUTE."""

    __slots__ = ("sql", "defaults", "bind_processors", "result_processors", "prepare_sql", "execute_sql")

    def __init__(self, statement, compiled, dialect):
        self.sql = str(compiled)
        self.defaults = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        self.bind_processors = [
            (name, processor) for name, bind in compiled.binds.items()
            if (processor := bind.type._cached_bind_processor(dialect)) is not None
        ]
        self.result_processors = [
            (index, processor) for index, column in enumerate(statement.selected_columns)
            if (processor := column.type._cached_result_processor(dialect, None)) is not None
        ]
        self._as_prepared(compiled, dialect)

    def _as_prepared(self, compiled, dialect) -> None:
        """`PREPARE name (types) AS ...` with $n parameters, and its `EXECUTE name(...)`."""
        order: list[str] = []

        def number(match: re.Match) -> str:
            if match.group(1) not in order:
                order.append(match.group(1))
            return f"${order.index(match.group(1)) + 1}"

        body = _PARAMETER.sub(number, self.sql).replace("%%", "%")
        name = "dd_" + hashlib.sha1(self.sql.encode(), usedforsecurity=False).hexdigest()[:16]
        types = ", ".join(_type_name(compiled.binds[key].type, dialect) for key in order)
        self.prepare_sql = f"PREPARE {name} ({types}) AS {body}" if order else f"PREPARE {name} AS {body}"
        arguments = ", ".join(f"%({key})s" for key in order)
        self.execute_sql = f"EXECUTE {name}({arguments})" if order else f"EXECUTE {name}"


def _type_name(type_, dialect) -> str:
    if isinstance(type_, sa.types.NullType):
        return "unknown"
    return dialect.type_compiler_instance.process(type_)


_UNCOMPILED = object()


class CompiledSelect:
    """A Core SELECT, compiled once (at its first run), run on a connection's driver cursor."""

    def __init__(self, statement: sa.Select):
        self.statement = statement
        self._form: _Form | None | object = _UNCOMPILED

    def _form_for(self, dialect) -> _Form | None:
        """The compiled form, or None for a statement SQLAlchemy must run (expanding
        parameters are rendered per call)."""
        if self._form is _UNCOMPILED:
            compiled = self.statement.compile(dialect=dialect)
            direct = not any(bind.expanding or bind.literal_execute for bind in compiled.binds.values())
            self._form = _Form(self.statement, compiled, dialect) if direct else None
        return self._form

    def rows(self, connection: sa.Connection, params: dict) -> list[tuple]:
        form = self._form_for(connection.dialect)
        if form is None:
            return [tuple(row) for row in connection.execute(self.statement, params)]
        values = {**form.defaults, **params}
        for name, processor in form.bind_processors:
            values[name] = processor(values[name])
        sql = self._prepared(connection, form) or form.sql
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, sql, values)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not form.result_processors:
            return rows
        processed = []
        for row in rows:
            row = list(row)
            for index, processor in form.result_processors:
                row[index] = processor(row[index])
            processed.append(tuple(row))
        return processed

    @staticmethod
    def _prepared(connection: sa.Connection, form: _Form) -> str | None:
        """The EXECUTE of this statement on this connection (prepared on first use), or None."""
        if not getattr(connection.engine, "dreamdot_prepare", False):
            return None
        prepared = connection.connection.info.setdefault(_PREPARED, set())
        if form.prepare_sql not in prepared:
            cursor = connection.connection.cursor()
            try:
                connection._cursor_execute(cursor, form.prepare_sql, None)
            finally:
                cursor.close()
            prepared.add(form.prepare_sql)
        return form.execute_sql

    def first(self, connection: sa.Connection, params: dict) -> tuple | None:
        rows = self.rows(connection, params)
        return rows[0] if rows else None
