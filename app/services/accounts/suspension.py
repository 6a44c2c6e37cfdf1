"""Suspending and reinstating accounts (operators only)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services import NO_ORIGIN, Origin
from app.services.accounts.sessions import end_all_sessions
from app.services.accounts.visibility import forget_suspended_user_ids
from app.services.audit import record_event
from app.services.errors import Conflict, Invalid, NotAllowed, NotFound
from app.services.ids import as_id


def clean_reason(reason: str | None, *, field: str = "reason") -> str:
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500:
        raise Invalid("Give a reason (1 to 500 characters).", code="validation_failed",
                      fields={field: "A reason of 1 to 500 characters."})
    return reason


def get_user(user_id) -> User:
    number = as_id(user_id)
    user = db.session.get(User, number) if number is not None else None
    if user is None:
        raise NotFound("No such user.")
    return user


def suspend_user(admin: User, user: User, reason: str | None, *, origin: Origin = NO_ORIGIN) -> User:
    """Suspend: no sign-in, every session and token ended, content hidden."""
    reason = clean_reason(reason)
    if not admin.is_admin:
        raise NotAllowed("Only operators suspend accounts.")
    if user.id == admin.id or user.is_admin:
        raise NotAllowed("Operators cannot be suspended here; revoke admin rights first.",
                         code="cannot_suspend_admin")
    if user.is_suspended:
        raise Conflict("That account is already suspended.", code="already_suspended")
    user.suspended_at, user.suspended_reason = utcnow(), reason
    ended = end_all_sessions(user)
    db.session.flush()
    forget_suspended_user_ids()
    record_event("user_suspended", user_id=admin.id, origin=origin, target_type="user", target_id=user.id,
                 reason=reason, sessions_ended=ended)
    return user


def reinstate_user(admin: User, user: User, reason: str | None, *, origin: Origin = NO_ORIGIN) -> User:
    reason = clean_reason(reason)
    if not admin.is_admin:
        raise NotAllowed("Only operators reinstate accounts.")
    if not user.is_suspended:
        raise Conflict("That account is not suspended.", code="not_suspended")
    user.suspended_at, user.suspended_reason = None, None
    db.session.flush()
    forget_suspended_user_ids()
    record_event("user_reinstated", user_id=admin.id, origin=origin, target_type="user", target_id=user.id,
                 reason=reason)
    return user


def count_suspended() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.suspended_at.is_not(None)))


def search_users(query: str | None, *, status: str | None = None, before_id: int | None = None,
                 limit: int = 50) -> list[User]:
    """Users whose username, display name or email contains `query`, newest first (keyset on id)."""
    stmt = sa.select(User).order_by(User.id.desc()).limit(limit)
    text = (query or "").strip().lower()[:100]
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.username).like(like), User.email_key.like(like),
                                 sa.func.lower(User.display_name).like(like)))
    if status == "suspended":
        stmt = stmt.where(User.suspended_at.is_not(None))
    if before_id:
        stmt = stmt.where(User.id < before_id)
    return list(db.session.scalars(stmt))
