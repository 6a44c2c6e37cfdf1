"""Work that waits for the commit: a live event, a mail, a chat document that follows a SQL
change. Queued on the session with the transaction it was made in, run once that transaction
commits, dropped if it (or the savepoint it was made in) rolls back, so nothing announces or
mirrors what a rollback undid. SQLAlchemy's documented `after_commit` and
`after_soft_rollback` session events, listened to once for every session."""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

log = logging.getLogger("dreamdot.after_commit")

PENDING_KEY = "dreamdot.after_commit"  # session.info: [(transaction, label, action)]


def after_commit(session, action: Callable[[], None], *, label: str) -> None:
    """Run `action` once the session's current transaction commits. `label` names it in
    the log line should it fail: the commit stands either way."""
    if isinstance(session, scoped_session):
        session = session()
    # No transaction yet: begin the one a flush would, so a rollback before the commit drops it too.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(PENDING_KEY, []).append((transaction, label, action))


def _within(transaction, ended) -> bool:
    """Whether `transaction` is `ended` or nested inside it."""
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@sa.event.listens_for(Session, "after_commit")
def _run_pending(session) -> None:
    for _transaction, label, action in session.info.pop(PENDING_KEY, []):
        try:
            action()
        except Exception:  # noqa: BLE001 - the commit stands; what follows it is best effort
            log.exception("%s after the commit failed", label)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session, previous_transaction) -> None:
    pending = session.info.get(PENDING_KEY)
    if pending:
        session.info[PENDING_KEY] = [p for p in pending if not _within(p[0], previous_transaction)]
