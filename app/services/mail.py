"""Mail that services send: queued in the request's session and handed to the outbox only once
the unit of work (app/web/work.py) commits, so no mail announces what a rollback undid
(SQLAlchemy's documented `after_commit` and `after_soft_rollback` session events). The outbox
(app/web/mail.py) renders each mail from its templates and sends it over SMTP, after the
response and off the request, so how long a send takes never tells a client whether an
account exists; a failed send is a warning in the log (never the address or a token)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.extensions import db
from app.services.errors import ServiceError

log = logging.getLogger("dreamdot.mail")

PENDING_KEY = "dreamdot.mail"  # session.info: [(transaction, OutgoingMail)] waiting for the commit
_hooks_installed = False


class MailNotConfigured(ServiceError):
    status = 503
    code = "mail_not_configured"


@dataclass(frozen=True)
class OutgoingMail:
    """One mail: its address, subject and templates (`mail/<template>.txt` and `.html`)
    with what they show. `user_id` names the account in log lines instead of the address."""

    to: str
    subject: str
    template: str
    context: dict = field(default_factory=dict)
    user_id: int | None = None


def is_configured() -> bool:
    return bool(current_app.config.get("MAIL_ENABLED"))


def require_mail(what: str) -> None:
    """Raise MailNotConfigured (503), saying plainly that `what` is off without mail."""
    if not is_configured():
        raise MailNotConfigured(f"{what} is off on this DreamDot: it has no mail server configured.")


def send_after_commit(mail: OutgoingMail) -> None:
    """Send `mail` once the current transaction commits; dropped if it rolls back."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_KEY, []).append((transaction, mail))


def _within(transaction, ended) -> bool:
    """Whether `transaction` is `ended` or nested inside it (None: made before any began)."""
    if transaction is None:
        return ended.parent is None
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def install_mail_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True

    @sa.event.listens_for(Session, "after_commit")
    def _after_commit(session):
        pending = session.info.pop(PENDING_KEY, [])
        if pending:
            outbox = current_app.extensions["dreamdot.outbox"]
            for _transaction, mail in pending:
                outbox.post(mail)

    @sa.event.listens_for(Session, "after_soft_rollback")
    def _after_rollback(session, previous_transaction):
        pending = session.info.get(PENDING_KEY)
        if pending:
            session.info[PENDING_KEY] = [p for p in pending if not _within(p[0], previous_transaction)]
