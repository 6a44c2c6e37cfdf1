"""Looking users up as a viewer sees them: a block hides each from the other (404)."""

from __future__ import annotations

from app.extensions import db
from app.models import User
from app.services.accounts import get_user_by_username
from app.services.errors import Invalid, NotFound
from app.services.ids import as_id
from app.services.social.blocks import is_blocked_between


def viewer_id(viewer) -> int | None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.id


def get_visible_user(username: str, viewer) -> User:
    """The user named `username`, or NotFound when absent, suspended or blocked either way."""
    user = get_user_by_username(username)
    if is_blocked_between(viewer_id(viewer), user.id):
        raise NotFound("No such user.")
    return user


def get_target_user(data: dict, viewer, *, hide_blocked: bool = True) -> User:
    """The user an API call names by `user_id` or `username`, as `viewer` may see them
    (`hide_blocked=False` for block, unblock and mute, which must reach a blocked user)."""
    blocked = is_blocked_between if hide_blocked else (lambda a, b: False)
    user_id, username = data.get("user_id"), data.get("username")
    if user_id is not None:
        if as_id(user_id) is None:
            raise Invalid("user_id must be a number.", code="validation_failed",
                          fields={"user_id": "Must be a number."})
        user = db.session.get(User, as_id(user_id))
        if user is None or user.is_suspended or blocked(viewer_id(viewer), user.id):
            raise NotFound("No such user.")
        return user
    if isinstance(username, str) and username.strip():
        return get_visible_user(username, viewer) if hide_blocked else get_user_by_username(username)
    raise Invalid("Name a user by user_id or username.", code="validation_failed",
                  fields={"user_id": "Required."})
