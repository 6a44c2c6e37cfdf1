"""The `users` bind: accounts, profiles and sign-in sessions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UsersModel, UTCDateTime, utcnow


class User(UserMixin, UsersModel):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(30), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # Lower-cased email: the uniqueness key, so case never makes a second account.
    email_key: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(50), default="")
    bio: Mapped[str] = mapped_column(sa.String(500), default="")
    avatar_key: Mapped[str | None] = mapped_column(sa.String(255))
    banner_key: Mapped[str | None] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Set by the loader: the sign-in session this request runs under.
    auth_session_id = None  # type: str | None

    def get_id(self) -> str:
        # Flask-Login keeps this in the cookie; the session part makes sign-out revocable.
        return f"{self.id}:{self.auth_session_id}"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


class AuthSession(UsersModel):
    """A signed-in browser (kind `web`) or an API token (kind `api`); revoked on sign-out."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))


class SigninThrottle(UsersModel):
    """Failed sign-ins of one account, counted here (not per process) so every worker sees
    them; past a few failures the account's sign-in waits until `locked_until`."""

    __tablename__ = "signin_throttles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChatTicket(UsersModel):
    """A single-use, short-lived ticket that opens the chat websocket (`?ticket=`), so no
    long-lived credential travels in a URL. Only a hash of the ticket is kept; it belongs to
    the session that asked for it and is refused once that session ends."""

    __tablename__ = "chat_tickets"

    ticket_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(sa.String(64))
    session_kind: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MailToken(UsersModel):
    """A link sent by mail: a password reset (to the account's address) or the verification
    of a new email address (to that address). Only a hash of the token is kept; each is used
    once, before `expires_at`, and only for its `purpose`."""

    __tablename__ = "mail_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Where the link was sent: the account's address for a reset, the new one for a change.
    email: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
