"""The outbox: renders each committed mail from its templates and sends it with Flask-Mailman
over SMTP, in a thread of its own (a greenlet under the gevent worker), after the response.
A failed send is one warning line naming the template, the account id and the error's kind:
never the address, the token or the server's credentials."""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives
from jinja2 import TemplateNotFound

from app.extensions import mail
from app.services.mail import OutgoingMail

log = logging.getLogger("dreamdot.mail")


class Outbox:
    """Sends mails off the request; `wait()` lets a test (or a CLI command) see them sent."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._sending: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def post(self, outgoing: OutgoingMail) -> None:
        thread = threading.Thread(target=self._send, args=(outgoing,), daemon=True, name="dreamdot-mail")
        with self._lock:
            self._sending.add(thread)
        thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        with self._lock:
            sending = list(self._sending)
        for thread in sending:
            thread.join(timeout)

    def _send(self, outgoing: OutgoingMail) -> None:
        try:
            with self.app.app_context():
                render(outgoing).send()
        except Exception as exc:  # noqa: BLE001 - the user's answer stands; the log says what failed
            log.warning("mail %s for user %s was not sent (%s)", outgoing.template, outgoing.user_id,
                        type(exc).__name__)
        finally:
            with self._lock:
                self._sending.discard(threading.current_thread())


def render(outgoing: OutgoingMail) -> EmailMultiAlternatives:
    """The message of `outgoing`: its text template, and its HTML one when there is one. The
    templates get only the mail's own context (no request, no signed-in user)."""
    env = current_app.jinja_env
    text = env.get_template(f"mail/{outgoing.template}.txt").render(**outgoing.context)
    message = EmailMultiAlternatives(outgoing.subject, text, to=[outgoing.to])
    try:
        html = env.get_template(f"mail/{outgoing.template}.html").render(**outgoing.context)
    except TemplateNotFound:
        return message
    message.attach_alternative(html, "text/html")
    return message


def init_app(app: Flask) -> None:
    mail.init_app(app)
    app.extensions["dreamdot.outbox"] = Outbox(app)
