"""Changing a password: the current one proves it is the owner, the new one follows the
sign-up rules, every other sign-in (browsers and API tokens) ends, the account's failed
sign-ins are forgotten, and links sent by mail (a reset, a pending email change) are void."""

from __future__ import annotations

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services import NO_ORIGIN, Origin
from app.services.accounts import mail_tokens
from app.services.accounts.passwords import hash_password, password_problem, verify_password
from app.services.accounts.sessions import end_all_sessions
from app.services.accounts.throttle import clear_failures
from app.services.audit import record_event
from app.services.errors import Invalid


def change_password(
    user: User,
    current_password: str | None,
    new_password: str | None,
    *,
    keep_session: str | None = None,
    origin: Origin = NO_ORIGIN,
) -> int:
    """Set a new password and revoke every session but `keep_session`; returns how many
    sessions ended. Raises Invalid (400) with field errors and changes nothing otherwise."""
    current_password = current_password or ""
    new_password = new_password or ""
    if not verify_password(user.password_hash, current_password):
        record_event("password_change_failed", user_id=user.id, origin=origin, durable=True)
        raise Invalid("Your current password is not right.", code="validation_failed",
                      fields={"current_password": "That is not your current password."})
    problem = password_problem(new_password, username=user.username, email=user.email)
    if problem is None and new_password == current_password:
        problem = "Choose a password different from the current one."
    if problem:
        raise Invalid("Choose another password.", code="validation_failed",
                      fields={"new_password": problem})
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    ended = end_all_sessions(user, keep=keep_session)
    clear_failures(user)  # the owner proved it: failed sign-ins no longer count
    # A pending email change may be a thief's who used this session: the new password voids it.
    mail_tokens.void(user, mail_tokens.PASSWORD_RESET, mail_tokens.EMAIL_CHANGE)
    db.session.flush()
    record_event("password_changed", user_id=user.id, origin=origin, target_type="user",
                 target_id=user.id, sessions_ended=ended)
    return ended
