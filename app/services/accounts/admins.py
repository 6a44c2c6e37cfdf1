"""Operator accounts."""

from __future__ import annotations

from collections.abc import Callable

from app.models import User
from app.services.accounts.profiles import get_user_by_username
from app.services.accounts.registration import signup
from app.services.audit import record_event
from app.services.errors import Invalid, NotFound


def make_admin(
    username: str,
    *,
    email: str | None = None,
    password: str | None = None,
    ask_password: Callable[[], str] | None = None,
) -> tuple[User, bool]:
    """Promote an existing user, or create one as admin. Returns (user, created)."""
    try:
        user, created = get_user_by_username(username), False
    except NotFound:
        if not email:
            raise Invalid("No such user; give --email (and --password) to create one.") from None
        password = password or (ask_password() if ask_password else None)
        user, created = signup(username, email, password or ""), True
    user.is_admin = True
    record_event("admin_granted", user_id=None, target_type="user", target_id=user.id, via="cli")
    return user, created
