"""Reading what the app sent: every test process has a local SMTP server (tests/stores.py)
that keeps each mail in a Maildir; these helpers wait for the app's outbox and read it."""

from __future__ import annotations

import mailbox
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from flask import current_app

LINK = re.compile(r"https?://[^\s\"'<>]+")


def _maildir() -> mailbox.Maildir:
    return mailbox.Maildir(current_app.config["DEV_MAILBOX"], create=True)


def wait_for_outbox() -> None:
    """Every mail the app posted so far has reached the server (or failed)."""
    current_app.extensions["dreamdot.outbox"].wait()


def _received(key: str) -> tuple[int, int]:
    """When the Maildir took the message: its name starts `<seconds>.M<microseconds>`."""
    match = re.match(r"(\d+)\.M(\d+)", key)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def all_mails() -> list[EmailMessage]:
    """Every mail the server received, oldest first."""
    wait_for_outbox()
    box = _maildir()
    found = []
    for key in sorted(box.keys(), key=_received):
        with box.get_file(key) as handle:
            found.append(BytesParser(policy=policy.default).parse(handle))
    return found


def mails_to(address: str) -> list[EmailMessage]:
    """The mails sent to `address` (case-insensitive), oldest first."""
    wanted = address.lower()
    return [m for m in all_mails() if wanted in [a.addr_spec.lower() for a in m["To"].addresses]]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str | None:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else None


def links_in(message: EmailMessage) -> list[str]:
    return LINK.findall(text_of(message))


def clear_mailbox() -> None:
    wait_for_outbox()
    _maildir().clear()
