"""/dev/mail: what `make run`'s local SMTP server received, for developers. Registered only
when DEV_MAILBOX names that server's Maildir (never in production), and answered only to
requests from this machine."""

from app.blueprints.devmail.routes import bp

__all__ = ["bp"]
