"""Creating and editing communities, and the directory (search, sort by size or activity)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.community import Community
from app.services import NO_ORIGIN, Origin
from app.services.audit import record_event
from app.services.communities import policies
from app.services.communities.cursors import decode_cursor, encode_cursor
from app.services.communities.membership import add_owner, get_membership
from app.services.errors import Conflict, Invalid, NotAllowed
from app.services.media import media_url, process_image, storage
from app.services.names import one_line_name
from app.services.pagination import clean_limit

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")
RESERVED_SLUGS = frozenset({
    "about", "admin", "api", "communities", "community", "create", "dreamdot", "edit", "explore",
    "help", "join", "leave", "log", "me", "members", "mod", "moderation", "moderators", "new",
    "posts", "requests", "search", "settings", "static", "support", "www",
})
NAME_MAX, DESCRIPTION_MAX = 80, 2000
SORTS = ("active", "size", "new")


def clean_slug(value: str | None) -> tuple[str, str | None]:
    slug = (value or "").strip().lower()
    if not SLUG_RE.fullmatch(slug):
        return slug, "3 to 40 characters: lowercase letters, digits and hyphens, not at either end."
    if "--" in slug:
        return slug, "No double hyphens."
    if slug in RESERVED_SLUGS:
        return slug, "That address is reserved; choose another."
    return slug, None


def clean_name(value: str | None) -> tuple[str, str | None]:
    name = one_line_name(value)
    if len(name) < 3 or len(name) > NAME_MAX:
        return name, f"3 to {NAME_MAX} characters."
    return name, None


def clean_description(value: str | None) -> tuple[str, str | None]:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > DESCRIPTION_MAX:
        return text, f"At most {DESCRIPTION_MAX} characters."
    return text, None


def clean_visibility(value: str | None) -> tuple[str, str | None]:
    visibility = (value or "public").strip().lower()
    if visibility not in ("public", "private"):
        return visibility, "Choose public or private."
    return visibility, None


def _fail_if(errors: dict) -> None:
    errors = {field: why for field, why in errors.items() if why}
    if errors:
        raise Invalid("Some fields need another look.", code="validation_failed", fields=errors)


def create_community(
    owner,
    *,
    name: str | None,
    slug: str | None,
    description: str | None = "",
    visibility: str | None = "public",
    icon: BinaryIO | None = None,
    banner: BinaryIO | None = None,
    origin: Origin = NO_ORIGIN,
) -> Community:
    """A new community owned by `owner`. Everything is checked (images included) before a
    row is written; a taken slug is a Conflict."""
    values, errors = {}, {}
    values["name"], errors["name"] = clean_name(name)
    values["slug"], errors["slug"] = clean_slug(slug)
    values["description"], errors["description"] = clean_description(description)
    values["visibility"], errors["visibility"] = clean_visibility(visibility)
    _fail_if(errors)
    if _slug_taken(values["slug"]):
        raise _taken()
    icon_bytes = process_image(icon, "icon", field="icon") if icon is not None else None
    banner_bytes = process_image(banner, "banner", field="banner") if banner is not None else None
    community = Community(owner_id=owner.id, member_count=0, **values)
    try:
        with db.session.begin_nested():
            db.session.add(community)
            db.session.flush()
    except IntegrityError:
        raise _taken() from None
    if icon_bytes:
        community.icon_key = storage().save("public/communities", icon_bytes, "webp", "image/webp")
    if banner_bytes:
        community.banner_key = storage().save("public/communities", banner_bytes, "webp", "image/webp")
    add_owner(community, owner.id)
    record_event("community.created", user_id=owner.id, origin=origin, target_type="community",
                 target_id=community.id, slug=community.slug, visibility=community.visibility)
    return community


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(sa.select(sa.literal(1)).select_from(Community).where(Community.slug == slug).limit(1)) is not None


def _taken() -> Conflict:
    return Conflict("That address is taken.", code="slug_taken", fields={"slug": "Already taken; choose another."})


def update_community(
    community: Community,
    actor,
    *,
    name: str | None = None,
    description: str | None = None,
    icon: BinaryIO | None = None,
    banner: BinaryIO | None = None,
    origin: Origin = NO_ORIGIN,
) -> Community:
    """The owner edits name, description, icon and banner (slug and visibility stay)."""
    if not policies.can_edit_community(get_membership(community.id, actor.id)):
        raise NotAllowed("Only the owner edits the community.")
    changes, errors = {}, {}
    if name is not None:
        changes["name"], errors["name"] = clean_name(name)
    if description is not None:
        changes["description"], errors["description"] = clean_description(description)
    _fail_if(errors)
    old_keys = []
    encoded = [(column, process_image(upload, use, field=column.removesuffix("_key")))
               for column, upload, use in (("icon_key", icon, "icon"), ("banner_key", banner, "banner"))
               if upload is not None]  # both checked before either is stored
    for column, data in encoded:
        old_keys.append(getattr(community, column))
        changes[column] = storage().save("public/communities", data, "webp", "image/webp")
    for column, value in changes.items():
        setattr(community, column, value)
    db.session.flush()
    record_event("community.updated", user_id=actor.id, origin=origin, target_type="community",
                 target_id=community.id, fields=sorted(changes))
    for key in old_keys:
        if key:
            storage().delete(key)
    return community


def list_communities(*, q: str | None = None, sort: str | None = "active", cursor: str | None = None,
                     limit=None) -> tuple[list[Community], str | None]:
    """The directory: public and private communities alike (a private one shows its name and
    description, never its content), searched by name, slug or description, keyset-paginated."""
    sort = sort if sort in SORTS else "active"
    limit = clean_limit(limit)
    key = {"active": Community.last_activity_at, "size": Community.member_count, "new": Community.created_at}[sort]
    kind = int if sort == "size" else datetime
    query = sa.select(Community)
    term = (q or "").strip()[:100]
    if term:
        like = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(
            sa.func.lower(Community.name).like(like, escape="\\"),
            Community.slug.like(like, escape="\\"),
            sa.func.lower(Community.description).like(like, escape="\\"),
        ))
    after = decode_cursor(cursor, (kind, int))
    if after:
        query = query.where(sa.or_(key < after[0], sa.and_(key == after[0], Community.id < after[1])))
    rows = list(db.session.scalars(query.order_by(key.desc(), Community.id.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, key.key), last.id)
    return rows, next_cursor


def serialize_community(community: Community) -> dict:
    return {
        "id": community.id,
        "slug": community.slug,
        "name": community.name,
        "description": community.description,
        "visibility": community.visibility,
        "icon_url": media_url(community.icon_key),
        "banner_url": media_url(community.banner_key),
        "owner_id": community.owner_id,
        "member_count": community.member_count,
        "last_activity_at": community.last_activity_at.isoformat(),
        "created_at": community.created_at.isoformat(),
    }


def serialize_membership(membership) -> dict | None:
    if membership is None:
        return None
    return {"role": membership.role, "status": membership.status, "user_id": membership.user_id,
            "community_id": membership.community_id, "created_at": membership.created_at.isoformat()}
