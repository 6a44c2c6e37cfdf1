"""What can be reported: load it (who owns it, where it is) and remove it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import Community, CommunityPost, Item, User
from app.models.base import utcnow
from app.models.social import Comment, Like, Post
from app.services.errors import Invalid, NotFound
from app.services.ids import MAX_ID
from app.services.media import storage
from app.services.numbers import parse_int

TARGET_TYPES = ("post", "comment", "item", "community_post", "user")


@dataclass(frozen=True)
class Target:
    type: str
    id: int
    owner_id: int | None
    label: str
    url: str | None
    row: object


def parse_target(target_type, target_id) -> tuple[str, int]:
    if target_type not in TARGET_TYPES:
        raise Invalid("Choose what you are reporting.", code="validation_failed",
                      fields={"target_type": f"One of {', '.join(TARGET_TYPES)}."})
    number = parse_int(target_id, field="target_id", minimum=1, maximum=MAX_ID,
                       message="target_id must be a positive number.", reason="A positive number.")
    return target_type, number


def _excerpt(text: str, n: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def load_target(target_type: str, target_id: int) -> Target:
    """The reported object, or NotFound when it does not exist (or is already gone)."""
    row = db.session.get(_MODELS[target_type], target_id)
    if row is None or _gone(target_type, row):
        raise NotFound("There is nothing to report there.", code="target_not_found")
    return _describe(target_type, row)


_MODELS = {"post": Post, "comment": Comment, "item": Item, "community_post": CommunityPost, "user": User}


def _gone(target_type: str, row) -> bool:
    if target_type == "item":
        return row.deleted_at is not None
    if target_type == "community_post":
        return row.is_removed
    return False


def _describe(target_type: str, row) -> Target:
    if target_type == "post":
        return Target("post", row.id, row.author_id, _excerpt(row.body), f"/posts/{row.id}", row)
    if target_type == "comment":
        return Target("comment", row.id, row.author_id, _excerpt(row.body), f"/posts/{row.post_id}", row)
    if target_type == "item":
        return Target("item", row.id, row.creator_id, row.title, f"/items/{row.id}", row)
    if target_type == "community_post":
        community = db.session.get(Community, row.community_id)
        url = f"/communities/{community.slug}/posts/{row.id}" if community else None
        return Target("community_post", row.id, row.author_id, row.title, url, row)
    return Target("user", row.id, row.id, f"@{row.username}", f"/u/{row.username}", row)


def remove_target(target: Target, admin: User, reason: str) -> None:
    """Take the reported content down. A user is not content: suspend them instead."""
    row = target.row
    if target.type == "post":
        db.session.execute(sa.delete(Like).where(Like.post_id == row.id))
        db.session.execute(sa.delete(Comment).where(Comment.post_id == row.id))
        db.session.delete(row)
        db.session.flush()
        for image in row.images or []:
            storage().delete(image["key"])
    elif target.type == "comment":
        db.session.execute(sa.update(Post).where(Post.id == row.post_id, Post.comment_count > 0)
                           .values(comment_count=Post.comment_count - 1))
        db.session.delete(row)
    elif target.type == "item":
        row.deleted_at = utcnow()
    elif target.type == "community_post":
        row.removed_at, row.removed_by_id, row.removed_reason = utcnow(), admin.id, reason[:500]
    else:
        raise Invalid("A user is not content: suspend the account instead.", code="cannot_remove_user")
    db.session.flush()
