"""Pages that only read: the feeds, read on every visit by every signed-in user.

A view marked `@read_only` promises that its GET request writes at most single statements
(touching the sign-in session's `last_seen_at`), never several rows that must change
together. Its request then reads in autocommit:

- no `BEGIN` before the first statement and no `COMMIT` after the last, two round trips
  fewer (psycopg2 sends each as a query of its own);
- when the request changed nothing, its session is not committed at all
  (`end_without_commit`): the commit would send nothing (every connection is outside a
  transaction at the driver) and cost the page's Python its bookkeeping (flush checks,
  expiring every loaded instance, the commit events); the connections go back to the
  pool at once, as the commit would have given them.

Each statement then sees its own snapshot: the user, the feed and the navigation may be
a few milliseconds apart, which no reader can tell. Money never runs on this connection
(`ledger.money_connection` takes its own, in a transaction; the navigation's balance is
read in autocommit by `ledger.read_session`). A view that writes, or that may charge a
renewal before it renders the balance, is not marked. POST, PUT, PATCH and DELETE
requests are unchanged."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request

from app.services.commit_work import has_queued_work

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
    for bind in READ_BINDS:
        # The first use of this bind's connection in the request's session: nothing has been
        # sent on it yet (binds sharing an engine share the connection).
        use_driver_autocommit(db.session.connection(bind_arguments={"bind": db.engines[bind]}))


_CONNECTIONS = "dreamdot.request_connections"


def _remember_connection(session, _transaction, connection) -> None:
    if has_request_context():
        connections = session.info.setdefault(_CONNECTIONS, [])
        connections[:] = [known for known in connections if not known.closed]
        connections.append(connection)


def nothing_to_commit(session) -> bool:
    """Whether committing a read-only request's session would change nothing: no pending
    ORM changes, nothing queued for after the commit, and every connection it used is
    outside any transaction at the driver (its statements, if any, already committed one
    by one). Anything else (a connection that began a transaction, a write) is committed
    as usual."""
    if not is_read_only_request() or session.new or session.dirty or session.deleted:
        return False
    if has_queued_work(session):  # app/services/commit_work.py
        return False
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE

    for connection in session.info.get(_CONNECTIONS, ()):
        if connection.closed:
            continue  # released by an earlier commit or rollback of this session
        dbapi_connection = connection.connection.dbapi_connection
        if not dbapi_connection.autocommit or dbapi_connection.get_transaction_status() != TRANSACTION_STATUS_IDLE:
            return False
    return True


def end_without_commit(session) -> bool:
    """After a request: if committing its session would change nothing
    (`nothing_to_commit`), end its transaction without a commit, giving its connections
    back to the pool (each only had a rollback to make, which psycopg2 does not send
    outside a transaction), and say so."""
    if not nothing_to_commit(session):
        return False
    transaction = session.get_transaction()
    if transaction is not None:
        transaction.close()
    return True


def init_app(app: Flask) -> None:
    import sqlalchemy as sa

    from app.extensions import db

    # First of the request hooks: before any other hook can run a statement.
    app.before_request_funcs.setdefault(None, []).insert(0, _read_in_autocommit)
    # Every connection a request's session begins on, for `nothing_to_commit`.
    if not sa.event.contains(db.session, "after_begin", _remember_connection):
        sa.event.listen(db.session, "after_begin", _remember_connection)
