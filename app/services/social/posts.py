"""Posts: writing, reading as a viewer may, deleting, and the API's `Post` object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.social import Comment, Like, Post
from app.services import NO_ORIGIN, Origin
from app.services.accounts import serialize_user
from app.services.accounts.visibility import is_hidden_author
from app.services.audit import record_event
from app.services.errors import Invalid, NotAllowed, NotFound
from app.services.ids import MAX_ID
from app.services.media import media_url, process_image, storage
from app.services.notifications import announce_new_post, notify
from app.services.social.blocks import blocked_user_ids, is_blocked_between
from app.services.social.people import viewer_id
from app.services.social.policies import can_delete_post
from app.services.social.text import find_mentions

MAX_BODY, MAX_IMAGES, MAX_ALT, MAX_WARNING = 5000, 4, 1000, 200


@dataclass
class ImageUpload:
    file: BinaryIO
    alt: str = ""


def _check_text(body, content_warning, images) -> tuple[str, str | None]:
    errors = {}
    body = (body or "").strip() if isinstance(body, str) else ""
    if not body:
        errors["body"] = "Write something (1 to 5,000 characters)."
    elif len(body) > MAX_BODY:
        errors["body"] = f"At most 5,000 characters ({len(body):,} now)."
    warning = (content_warning or "").strip() or None
    if warning and len(warning) > MAX_WARNING:
        errors["content_warning"] = "At most 200 characters."
    if len(images) > MAX_IMAGES:
        errors["images"] = "At most 4 images per post."
    if any(len(image.alt or "") > MAX_ALT for image in images):
        errors["alt"] = "Alt text is at most 1,000 characters."
    if errors:
        raise Invalid("The post needs another look.", code="validation_failed", fields=errors)
    return body, warning


def create_post(author: User, body: str, *, content_warning: str | None = None,
                images: list[ImageUpload] | None = None, origin: Origin = NO_ORIGIN) -> Post:
    """Check everything (text, count, each image) before anything is stored."""
    images = images or []
    body, warning = _check_text(body, content_warning, images)
    encoded = [(process_image(image.file, "post", field="images"), (image.alt or "").strip())
               for image in images]
    stored = [{"key": storage().save("public/posts", data, "webp", "image/webp"), "alt": alt}
              for data, alt in encoded]
    post = Post(author_id=author.id, body=body, content_warning=warning, images=stored)
    db.session.add(post)
    db.session.flush()
    _notify_mentions(author, post)
    announce_new_post(post)
    record_event("post_create", user_id=author.id, origin=origin, post_id=post.id)
    return post


def _notify_mentions(author: User, post: Post) -> None:
    names = [name for name in find_mentions(post.body) if name != author.username]
    if not names:
        return
    mentioned = db.session.scalars(sa.select(User).where(User.username.in_(names)))
    for user in mentioned:
        notify(user.id, "mention", actor_id=author.id, target_type="post", target_id=post.id,
               text=f"@{author.username} mentioned you in a post",
               url=f"/posts/{post.id}")


def get_post(post_id: int, viewer) -> Post:
    """The post, or NotFound when it does not exist or a block stands between viewer and author."""
    post = db.session.get(Post, post_id) if 0 < post_id <= MAX_ID else None
    if post is None or is_blocked_between(viewer_id(viewer), post.author_id) or is_hidden_author(post.author_id):
        raise NotFound("No such post.")
    return post


def delete_post(user: User, post_id: int, *, origin: Origin = NO_ORIGIN) -> None:
    post = get_post(post_id, user)
    if not can_delete_post(user, post):
        raise NotAllowed("Only the author can delete this post.")
    keys = [image["key"] for image in post.images or []]
    db.session.execute(sa.delete(Like).where(Like.post_id == post.id))
    db.session.execute(sa.delete(Comment).where(Comment.post_id == post.id))
    db.session.delete(post)
    db.session.flush()
    record_event("post_delete", user_id=user.id, origin=origin, post_id=post_id)
    for key in keys:
        storage().delete(key)


def is_liked(user_id: int | None, post_id: int) -> bool:
    return bool(user_id) and db.session.get(Like, (post_id, user_id)) is not None


def hidden_author_ids(viewer) -> set[int]:
    return blocked_user_ids(viewer_id(viewer))


def image_list(post: Post) -> list[dict]:
    return [{"url": media_url(image["key"]), "alt": image.get("alt", "")} for image in post.images or []]


def serialize_post(post: Post, author: User, *, liked: bool, author_counts: dict | None = None) -> dict:
    """The `Post` object of the JSON API."""
    images = image_list(post)
    return {
        "id": post.id,
        "author": serialize_user(author, author_counts),
        "body": post.body,
        "content_warning": post.content_warning,
        "image_urls": [image["url"] for image in images],
        "images": images,
        "created_at": post.created_at.isoformat(),
        "like_count": post.like_count,
        "comment_count": post.comment_count,
        "liked_by_me": liked,
    }
