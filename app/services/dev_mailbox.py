"""The mailbox of `make run`'s local SMTP server (a Maildir), read for the developers' page
/dev/mail. Nothing here sends mail; it only reads what the local server kept."""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from app.services.errors import NotFound

KEY = re.compile(r"^[A-Za-z0-9._,:=-]{1,200}$")
LINK = re.compile(r"(https?://[^\s<>\"']+)")
SHOWN = 200  # the newest ones; the Maildir keeps them all


@dataclass(frozen=True)
class MailSummary:
    key: str
    to: str
    sender: str
    subject: str
    date: datetime | None


@dataclass(frozen=True)
class Mail:
    summary: MailSummary
    # The plain text body in pieces: (text, is_link), so the page can make the links clickable.
    pieces: list[tuple[str, bool]]
    has_html: bool


def _received(key: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.M(\d+)", key)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _parse(box: mailbox.Maildir, key: str) -> EmailMessage:
    with box.get_file(key) as handle:
        return BytesParser(policy=policy.default).parse(handle)


def _summary(key: str, message: EmailMessage) -> MailSummary:
    try:
        date = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    return MailSummary(key, str(message["To"] or ""), str(message["From"] or ""), str(message["Subject"] or ""),
                       date)


def list_mails(path: str) -> list[MailSummary]:
    """The newest mails first."""
    box = mailbox.Maildir(path, create=True)
    keys = sorted(box.keys(), key=_received, reverse=True)[:SHOWN]
    return [_summary(key, _parse(box, key)) for key in keys]


def get_mail(path: str, key: str) -> Mail:
    box = mailbox.Maildir(path, create=True)
    if not KEY.fullmatch(key or ""):
        raise NotFound("There is no such mail.")
    try:
        message = _parse(box, key)
    except KeyError:
        raise NotFound("There is no such mail.") from None
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    pieces = [(part, bool(LINK.fullmatch(part))) for part in LINK.split(text) if part]
    return Mail(_summary(key, message), pieces, message.get_body(preferencelist=("html",)) is not None)
