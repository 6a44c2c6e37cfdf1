"""The request's unit of work: the one place where a request's database work is committed or
rolled back.

Every view carries it, directly under its route, so a reader sees it where the request is
handled (as indico's `RH.process` checks, processes and commits in one place):

    @bp.post("/u/<username>/follow")
    @unit_of_work
    @login_required
    def follow(username): ...

The view runs (services flush, they never commit); a response under 400 commits the
request's session, anything else (an error response, or an exception on its way to the
error handlers) rolls it back. Durable audit events (a failed sign-in) are written again
after a rollback and committed on their own. A commit that fails because a store is down
raises like any other statement, and the error handlers answer 503.

`@read_only` is the same unit of work for a GET that only reads (the feeds, read on every
visit): its statements on the users and social binds run without a transaction (SQLAlchemy's
AUTOCOMMIT isolation level, which psycopg sets without a round trip), so no BEGIN goes
before them and its commit sends nothing. A single-statement write (the sign-in session's
`last_seen_at`) is stored by its own statement. Each statement then sees its own snapshot:
the user, the feed and the navigation may be milliseconds apart, which no reader can tell.
Money never runs on these connections (the ledger has its own)."""

from __future__ import annotations

import functools
import logging

from flask import make_response, request
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.services.audit import forget_durable_events, readd_durable_events

log = logging.getLogger("dreamdot.audit")

READ_BINDS = ("users", "social")


def unit_of_work(view):
    """Run `view` as the request's unit of work: commit on success, roll back otherwise."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            try:
                roll_back()
            except SQLAlchemyError:  # the store is gone: the error handlers answer for it
                log.warning("rollback after a failed request failed", exc_info=True)
            raise
        if response.status_code < 400:
            db.session.commit()
            forget_durable_events(db.session)
        else:
            roll_back()
        return response

    run.unit_of_work = True
    return run


def read_only(view=None, *, binds: tuple[str, ...] = READ_BINDS):
    """`unit_of_work` for a view that only reads (see the module's docstring). A page that
    also reads other binds on every visit names them: `@read_only(binds=(*READ_BINDS, "community"))`."""
    if view is None:
        return functools.partial(read_only, binds=binds)
    work = unit_of_work(view)

    @functools.wraps(view)
    def run(*args, **kwargs):
        if request.method in ("GET", "HEAD") and not db.session().in_transaction():
            for bind in binds:
                db.session.connection(bind_arguments={"bind": db.engines[bind]},
                                      execution_options={"isolation_level": "AUTOCOMMIT"})
        return work(*args, **kwargs)

    run.unit_of_work = True
    return run


def roll_back() -> None:
    """Roll the request's work back, keeping its durable audit events (failed sign-ins)."""
    db.session.rollback()
    if readd_durable_events(db.session):
        try:
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("could not keep the audit trail")
