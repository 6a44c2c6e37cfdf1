"""/dev/mail: what `make run`'s local SMTP server received, for developers. Registered only
when DEV_MAILBOX names that server's Maildir (never in production), and answered only to
requests from this machine."""

from flask import Blueprint

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")

from app.blueprints.devmail import routes  # noqa: E402,F401
