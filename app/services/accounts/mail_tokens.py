"""Tokens of links sent by mail: random, kept only as a SHA-256 hash, used once, before they
expire, for their one purpose. A link that is used, expired, unknown or of another purpose
gets the same refusal."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import MailToken, User
from app.models.base import utcnow
from app.services.errors import Invalid

PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
EMAIL_CHANGE = "email_change"
TOKEN_MAX_LENGTH = 100  # what issue() makes is 43 characters; longer ones are not ours


class InvalidToken(Invalid):
    code = "invalid_token"

    def __init__(self, message: str = "This link is used, expired or not valid. Ask for a new one."):
        super().__init__(message)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, purpose: str, email: str, valid_for: timedelta) -> str:
    """A new token for `user`; the token itself is returned once, for the mail, never stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(MailToken(token_hash=token_hash(token), purpose=purpose, user_id=user.id, email=email,
                             created_at=now, expires_at=now + valid_for))
    db.session.flush()
    return token


def find(token: str | None, purpose: str) -> MailToken | None:
    """The live token row (unused, unexpired, of this purpose), or None."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return db.session.scalar(sa.select(MailToken).where(
        MailToken.token_hash == token_hash(token), MailToken.purpose == purpose,
        MailToken.used_at.is_(None), MailToken.expires_at > utcnow()))


def use(token: str | None, purpose: str) -> MailToken:
    """Mark the token used, at most once even when two requests race (one UPDATE whose WHERE
    holds every rule); raise InvalidToken when it cannot be used."""
    found = find(token, purpose)
    if found is None:
        raise InvalidToken()
    used = db.session.execute(
        sa.update(MailToken)
        .where(MailToken.token_hash == found.token_hash, MailToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if not used:
        raise InvalidToken()
    db.session.refresh(found)
    return found


def latest_live(user: User, purpose: str) -> MailToken | None:
    return db.session.scalar(
        sa.select(MailToken)
        .where(MailToken.user_id == user.id, MailToken.purpose == purpose, MailToken.used_at.is_(None),
               MailToken.expires_at > utcnow())
        .order_by(MailToken.created_at.desc())
        .limit(1)
    )


def void(user: User, *purposes: str) -> int:
    """Every live token of `user` for these purposes can no longer be used."""
    return db.session.execute(
        sa.update(MailToken)
        .where(MailToken.user_id == user.id, MailToken.purpose.in_(purposes), MailToken.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
