"""Comments on posts: up to 2,000 characters, deleted by their author or the post's author."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.social import Comment, Post
from app.services.accounts import serialize_user, users_by_id
from app.services.accounts.visibility import suspended_user_ids
from app.services.errors import Invalid, NotAllowed, NotFound
from app.services.notifications import notify
from app.services.social.blocks import blocked_user_ids
from app.services.social.cursors import clean_limit, keyset, page_params, split_page
from app.services.social.people import viewer_id
from app.services.social.policies import can_delete_comment
from app.services.social.posts import get_post
from app.services.social.sql import parse_id

MAX_COMMENT = 2000


@dataclass
class CommentEntry:
    comment: Comment
    author: User


def _bump(post_id: int, delta: int) -> None:
    db.session.execute(
        sa.update(Post).where(Post.id == post_id)
        .values(comment_count=Post.comment_count + delta)
        .execution_options(synchronize_session=False)
    )


def add_comment(user: User, post_id, body: str) -> Comment:
    """NotFound for a missing, deleted or block-hidden post; Invalid for bad text."""
    post = get_post(parse_id(post_id), user)
    body = (body or "").strip() if isinstance(body, str) else ""
    if not body or len(body) > MAX_COMMENT:
        why = "Write something." if not body else f"At most 2,000 characters ({len(body):,} now)."
        raise Invalid("The comment needs another look.", code="validation_failed", fields={"body": why})
    comment = Comment(post_id=post.id, author_id=user.id, body=body)
    db.session.add(comment)
    db.session.flush()
    _bump(post.id, +1)
    db.session.expire(post, ["comment_count"])
    notify(post.author_id, "comment", actor_id=user.id, target_type="post", target_id=post.id,
           text=f"@{user.username} commented on your post",
           url=f"/posts/{post.id}#comment-{comment.id}")
    return comment


def delete_comment(user: User, comment_id) -> int:
    """Delete and return the post id; NotFound when missing or hidden, NotAllowed otherwise."""
    comment = db.session.get(Comment, parse_id(comment_id, "comment_id"))
    if comment is None or comment.author_id in blocked_user_ids(user.id):
        raise NotFound("No such comment.")
    post = get_post(comment.post_id, user)
    if not can_delete_comment(user, comment, post):
        raise NotAllowed("Only the comment's author or the post's author can delete it.")
    db.session.delete(comment)
    db.session.flush()
    _bump(post.id, -1)
    db.session.expire(post, ["comment_count"])
    return post.id


# A post's comments, minus those of authors hidden from the viewer: one statement for every page.
_POST_COMMENTS = keyset(
    sa.select(Comment).where(
        Comment.post_id == sa.bindparam("post_id", type_=sa.Integer()),
        Comment.author_id != sa.all_(sa.bindparam("hidden", type_=sa.ARRAY(sa.Integer())))),
    Comment.created_at, Comment.id)


def list_comments(post_id, viewer, *, cursor: str | None = None, limit=None) -> tuple[list[CommentEntry], str | None]:
    """The post's comments the viewer may see (blocked either way left out), newest first."""
    post = get_post(parse_id(post_id), viewer)
    limit = clean_limit(limit)
    hidden = blocked_user_ids(viewer_id(viewer)) | suspended_user_ids()
    params = {"post_id": post.id, "hidden": list(hidden), **page_params(cursor, limit)}
    rows = list(db.session.scalars(_POST_COMMENTS, params))
    rows, next_cursor = split_page(rows, limit, lambda c: (c.created_at, c.id))
    authors = users_by_id(c.author_id for c in rows)
    entries = [CommentEntry(c, authors[c.author_id]) for c in rows if c.author_id in authors]
    return entries, next_cursor


def serialize_comment(entry: CommentEntry) -> dict:
    c = entry.comment
    return {"id": c.id, "post_id": c.post_id, "author": serialize_user(entry.author),
            "body": c.body, "created_at": c.created_at.isoformat()}
