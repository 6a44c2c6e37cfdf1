"""Mail that services send: queued in the request's session and handed to the outbox only once
the unit of work (app/web/work.py) commits, so no mail announces what a rollback undid
(SQLAlchemy's documented `after_commit` and `after_soft_rollback` session events). The outbox
(app/web/mail.py) renders each mail from its templates and sends it over SMTP, after the
response and off the request, so how long a send takes never tells a client whether an
account exists; a failed send is a warning in the log (never the address or a token)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app

from app.extensions import db
from app.services.after_commit import after_commit
from app.services.errors import ServiceError

log = logging.getLogger("dreamdot.mail")



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
    outbox = current_app.extensions["dreamdot.outbox"]
    after_commit(db.session, lambda: outbox.post(mail), label="mail")
