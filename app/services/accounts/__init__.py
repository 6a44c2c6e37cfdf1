"""Accounts: sign-up, sign-in sessions and tokens, profiles."""

from app.services.accounts.email_change import (
    confirm_email_change,
    email_change_for,
    pending_email_change,
    request_email_change,
)
from app.services.accounts.password_change import change_password
from app.services.accounts.password_reset import (
    request_password_reset,
    reset_password,
    user_for_reset_token,
)
from app.services.accounts.profiles import (
    get_user_by_username,
    profile_view,
    serialize_user,
    update_profile,
    users_by_id,
)
from app.services.accounts.registration import signup, user_created
from app.services.accounts.sessions import (
    authenticate,
    end_all_sessions,
    end_session,
    issue_token,
    start_session,
    user_for_session,
    user_for_token,
)

__all__ = [
    "authenticate",
    "change_password",
    "confirm_email_change",
    "email_change_for",
    "end_all_sessions",
    "end_session",
    "get_user_by_username",
    "issue_token",
    "pending_email_change",
    "profile_view",
    "request_email_change",
    "request_password_reset",
    "reset_password",
    "serialize_user",
    "signup",
    "start_session",
    "update_profile",
    "user_created",
    "user_for_session",
    "user_for_reset_token",
    "user_for_token",
    "users_by_id",
]
