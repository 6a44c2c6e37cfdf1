"""Profiles: looking users up, editing display name, bio, avatar and banner."""

from __future__ import annotations

from typing import BinaryIO

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.social import Block
from app.services import NO_ORIGIN, Origin
from app.services.accounts.follow_counts import follow_counts, is_following
from app.services.accounts.validation import clean_bio, clean_display_name
from app.services.audit import record_event
from app.services.errors import Invalid, NotFound
from app.services.media import media_url, process_image, storage


def get_user_by_username(username: str) -> User:
    """An active user, or NotFound (suspended accounts are hidden)."""
    user = db.session.scalar(
        sa.select(User).where(User.username == (username or "").strip().lower())
    )
    if user is None or user.is_suspended:
        raise NotFound("No such user.")
    return user


# Active users by id (suspended ones are left out): one statement for any number of ids.
_USERS_BY_ID = sa.select(User).where(
    User.id == sa.any_(sa.bindparam("ids", type_=sa.ARRAY(sa.Integer()))), User.suspended_at.is_(None))


def users_by_id(ids) -> dict[int, User]:
    """Active users by id, in one query (suspended ones are left out)."""
    ids = list(set(ids))
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(_USERS_BY_ID, {"ids": ids})}


def update_profile(
    user: User,
    *,
    display_name: str | None = None,
    bio: str | None = None,
    avatar: BinaryIO | None = None,
    banner: BinaryIO | None = None,
    remove_avatar: bool = False,
    remove_banner: bool = False,
    origin: Origin = NO_ORIGIN,
) -> User:
    """Change the given fields (None leaves one as it is). Images are checked and
    re-encoded before anything is written, so a bad file changes nothing."""
    errors, changes = {}, {}
    if display_name is not None:
        changes["display_name"], errors["display_name"] = clean_display_name(display_name)
    if bio is not None:
        changes["bio"], errors["bio"] = clean_bio(bio)
    errors = {field: why for field, why in errors.items() if why}
    if errors:
        raise Invalid("Some fields need another look.", code="validation_failed", fields=errors)
    images = {}
    if avatar is not None:
        images["avatar_key"] = process_image(avatar, "avatar", field="avatar")
    if banner is not None:
        images["banner_key"] = process_image(banner, "banner", field="banner")

    old_keys = []
    for column, data in images.items():
        old_keys.append(getattr(user, column))
        changes[column] = storage().save("public/profiles", data, "webp", "image/webp")
    if remove_avatar and "avatar_key" not in images:
        old_keys.append(user.avatar_key)
        changes["avatar_key"] = None
    if remove_banner and "banner_key" not in images:
        old_keys.append(user.banner_key)
        changes["banner_key"] = None
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, changes[name])
    db.session.flush()
    if changed:
        record_event("profile_update", user_id=user.id, origin=origin, fields=sorted(changed))
    for key in old_keys:
        if key:
            storage().delete(key)
    return user


def serialize_user(user: User, counts: dict | None = None) -> dict:
    """The `User` object of the JSON API."""
    counts = counts if counts is not None else follow_counts([user.id]).get(user.id, {})
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.name,
        "bio": user.bio,
        "avatar_url": media_url(user.avatar_key),
        "banner_url": media_url(user.banner_key),
        "created_at": user.created_at.isoformat(),
        "followers_count": counts.get("followers", 0),
        "following_count": counts.get("following", 0),
    }


def profile_view(user: User, viewer=None) -> dict:
    """What a profile page shows `viewer` (None or anonymous for signed-out readers)."""
    viewer_id = viewer.id if viewer is not None and getattr(viewer, "is_authenticated", False) else None
    return {
        "user": serialize_user(user),
        "is_self": viewer_id == user.id,
        "is_following": bool(viewer_id) and is_following(viewer_id, user.id),
        # True when the viewer blocked this user (a block hides the profile both ways, so
        # a page that can be seen shows False; the field is kept for api.md's clients).
        "is_blocked": bool(viewer_id) and db.session.get(Block, (viewer_id, user.id)) is not None,
    }
