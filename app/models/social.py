"""The `social` bind: follows (and, with the social capability, posts, comments, likes,
blocks, mutes and notifications). Users are referenced by plain id: no cross-bind keys."""

from __future__ import annotations

from datetime import date, datetime

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


class FollowEvent(SocialModel):
    """A follow or an unfollow (also one ended by a block), kept for the creator's audience
    figures: `follows` rows vanish on unfollow, so "followers lost" needs its own record."""

    __tablename__ = "follow_events"
    __table_args__ = (sa.Index("ix_follow_events_followee_created", "followee_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column()
    followee_id: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(16))  # follow, unfollow
    reason: Mapped[str | None] = mapped_column(sa.String(16))  # block, when a block ended it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ViewDay(SocialModel):
    """Who viewed what on a day, only to count a viewer once per day; pruned after the day.
    `viewer_key` is `u:<user id>` or `a:<keyed hash>` that holds no address."""

    __tablename__ = "view_days"

    target_type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    target_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    viewer_key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


class DailyStat(SocialModel):
    """The daily rollup of views per post or item, with its owner for range queries."""

    __tablename__ = "daily_stats"
    __table_args__ = (sa.Index("ix_daily_stats_owner_day", "owner_id", "day"),)

    target_type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    target_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    owner_id: Mapped[int] = mapped_column()
    views: Mapped[int] = mapped_column(default=0)


class Report(SocialModel):
    """A user's report of a post, comment, item, community thread or user, and its outcome."""

    __tablename__ = "reports"
    __table_args__ = (
        sa.Index("ix_reports_status_id", "status", "id"),
        sa.Index("ix_reports_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(index=True)
    target_type: Mapped[str] = mapped_column(sa.String(16))
    target_id: Mapped[int] = mapped_column(sa.BigInteger)
    target_owner_id: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open, dismissed, removed, suspended
    resolution_note: Mapped[str | None] = mapped_column(sa.String(500))
    resolved_by: Mapped[int | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
