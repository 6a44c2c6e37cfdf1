"""The `social` bind: follows (and, with the social capability, posts, comments, likes,
blocks, mutes and notifications). Users are referenced by plain id: no cross-bind keys."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import SocialModel, UTCDateTime, utcnow


class Follow(SocialModel):
    __tablename__ = "follows"
    __table_args__ = (
        sa.CheckConstraint("follower_id <> followee_id", name="ck_follows_not_self"),
        sa.Index("ix_follows_followee", "followee_id", "created_at"),
    )

    follower_id: Mapped[int] = mapped_column(primary_key=True)
    followee_id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Block(SocialModel):
    """`blocker_id` blocked `blocked_id`. A block works both ways for visibility."""

    __tablename__ = "blocks"
    __table_args__ = (
        sa.CheckConstraint("blocker_id <> blocked_id", name="ck_blocks_not_self"),
        sa.Index("ix_blocks_blocked", "blocked_id"),
    )

    blocker_id: Mapped[int] = mapped_column(primary_key=True)
    blocked_id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Mute(SocialModel):
    """`muter_id` muted `muted_id`: one way, and the muted user cannot tell."""

    __tablename__ = "mutes"
    __table_args__ = (sa.CheckConstraint("muter_id <> muted_id", name="ck_mutes_not_self"),)

    muter_id: Mapped[int] = mapped_column(primary_key=True)
    muted_id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(SocialModel):
    """Something that happened to `user_id`, caused by `actor_id`."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column()
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.String(300), default="")
    url: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Post(SocialModel):
    """A short text post with up to four images. `images` holds [{"key", "alt"}] so a feed
    page needs no extra query for them; the counts are kept on the row."""

    __tablename__ = "posts"
    __table_args__ = (
        sa.Index("ix_posts_created_id", "created_at", "id"),
        sa.Index("ix_posts_author_created_id", "author_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text())
    content_warning: Mapped[str | None] = mapped_column(sa.String(200))
    images: Mapped[list] = mapped_column(sa.JSON(), default=list)
    like_count: Mapped[int] = mapped_column(default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Comment(SocialModel):
    __tablename__ = "comments"
    __table_args__ = (sa.Index("ix_comments_post_created_id", "post_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(index=True)
    body: Mapped[str] = mapped_column(sa.Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Like(SocialModel):
    """One row per (post, user): the primary key makes a second like impossible."""

    __tablename__ = "likes"
    __table_args__ = (sa.Index("ix_likes_user", "user_id"),)

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
