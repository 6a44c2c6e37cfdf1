"""Pages that only read: the feeds, read on every visit by every signed-in user.

A view marked `@read_only` promises that its GET request writes at most single statements
(touching the sign-in session's `last_seen_at`), never several rows that must change
together. On PostgreSQL its request then reads in autocommit:

- no `BEGIN` before the first statement and no `COMMIT` after the last, two round trips
  fewer (psycopg2 sends each as a query of its own);
- when the `users`, `social` and `items` binds are one database, the navigation's unread
  count and balance are read in the same statement as the signed-in user
  (`accounts.user_for_session`), so the page runs two statements: the user with the
  navigation, and the feed.

Each statement then sees its own snapshot: the user, the feed and the navigation may be
a few milliseconds apart, which no reader can tell. Money never runs on this connection
(`ledger.money_connection` takes its own, in a transaction). A view that writes, or that
may charge a renewal before it renders the balance, is not marked. SQLite and POST, PUT,
PATCH and DELETE requests are unchanged."""

from __future__ import annotations

from flask import Flask, current_app, request

_MARK = "dreamdot_read_only"
READ_BINDS = ("users", "social")


def read_only(view):
    """Mark a view as reading only (see the module's docstring). Put it between the route
    decorator and the others, so the registered function carries the mark."""
    setattr(view, _MARK, True)
    return view


def is_read_only_request() -> bool:
    if request.method not in ("GET", "HEAD") or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, _MARK, False))


def _read_in_autocommit() -> None:
    from app.extensions import db
    from app.services.stores import use_driver_autocommit

    if not is_read_only_request() or db.session().in_transaction():
        return  # (a session that already read something keeps its transaction)
    seen = set()
    for bind in READ_BINDS:
        engine = db.engines[bind]
        if engine.dialect.name != "postgresql" or engine in seen:
            continue
        seen.add(engine)
        # The first use of this engine in the request's session: nothing has been sent on
        # the connection yet.
        use_driver_autocommit(db.session.connection(bind_arguments={"bind": engine}))


def init_app(app: Flask) -> None:
    # First of the request hooks: before any other hook can run a statement.
    app.before_request_funcs.setdefault(None, []).insert(0, _read_in_autocommit)
