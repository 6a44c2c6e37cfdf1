"""Likes: like and unlike are separate idempotent operations. The count on the post row
moves only when a like row was really inserted or deleted, in one UPDATE, so two clicks,
two tabs or a hundred concurrent requests never count twice."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.social import Like, Post
from app.services.notifications import notify
from app.services.social.posts import get_post
from app.services.social.sql import insert_ignore


def _bump(post_id: int, delta: int) -> None:
    db.session.execute(
        sa.update(Post).where(Post.id == post_id)
        .values(like_count=Post.like_count + delta)
        .execution_options(synchronize_session=False)
    )


def _result(post: Post, liked: bool) -> dict:
    count = db.session.scalar(sa.select(Post.like_count).where(Post.id == post.id))
    db.session.expire(post, ["like_count"])
    return {"liked": liked, "like_count": count}


def like_post(user: User, post_id: int) -> dict:
    """{"liked": True, "like_count"}; NotFound when the post is gone or hidden by a block."""
    post = get_post(post_id, user)
    if insert_ignore(Like, {"post_id": post.id, "user_id": user.id, "created_at": utcnow()}):
        _bump(post.id, +1)
        notify(post.author_id, "like", actor_id=user.id, target_type="post", target_id=post.id,
               text=f"@{user.username} liked your post", url=f"/posts/{post.id}")
    return _result(post, True)


def unlike_post(user: User, post_id: int) -> dict:
    post = get_post(post_id, user)
    deleted = db.session.execute(
        sa.delete(Like).where(Like.post_id == post.id, Like.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    if deleted.rowcount == 1:
        _bump(post.id, -1)
    return _result(post, False)
