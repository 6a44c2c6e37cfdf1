"""Single-use tickets for the chat websocket (`POST /api/chat/ticket`, `/chat/ws?ticket=`).

A browser page or API client asks for a ticket just before it connects, so no long-lived
credential goes into a URL (URLs end up in access logs). Tickets live in the users bind,
which every worker and dyno shares; only a SHA-256 of each is stored. Redeeming is one
UPDATE ... RETURNING, so two workers racing on the same ticket cannot both win."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import ChatTicket, User
from app.models.base import utcnow
from app.services.accounts import user_for_session

# Rows this long past their expiry are deleted when the same user asks for a new ticket.
KEEP_EXPIRED = timedelta(minutes=10)


def _hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(user: User, session_kind: str) -> tuple[str, int]:
    """A new ticket for the user's current session, and how many seconds it is valid."""
    if not user.auth_session_id:
        raise ValueError("a ticket needs the session that asks for it")
    seconds = min(int(current_app.config["CHAT_TICKET_SECONDS"]), 60)
    now = utcnow()
    ticket = secrets.token_urlsafe(32)
    db.session.execute(sa.delete(ChatTicket).where(
        ChatTicket.user_id == user.id, ChatTicket.expires_at < now - KEEP_EXPIRED))
    db.session.add(ChatTicket(
        ticket_hash=_hash(ticket), user_id=user.id, session_id=user.auth_session_id,
        session_kind=session_kind, created_at=now, expires_at=now + timedelta(seconds=seconds),
    ))
    db.session.flush()
    return ticket, seconds


def redeem_ticket(ticket: str | None) -> User | None:
    """The user a live, unused ticket was issued to, marking it used; else None. A ticket
    whose session has ended (signed out, expired, the user suspended) is refused."""
    if not ticket or len(ticket) > 128:
        return None
    now = utcnow()
    row = db.session.execute(
        sa.update(ChatTicket)
        .where(ChatTicket.ticket_hash == _hash(ticket), ChatTicket.used_at.is_(None),
               ChatTicket.expires_at > now)
        .values(used_at=now)
        .returning(ChatTicket.user_id, ChatTicket.session_id, ChatTicket.session_kind),
        execution_options={"synchronize_session": False},
        bind_arguments={"mapper": sa.inspect(ChatTicket)},
    ).first()
    if row is None:
        return None
    return user_for_session(row.user_id, row.session_id, kind=row.session_kind)
