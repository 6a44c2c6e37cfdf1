"""The `community` bind: communities, memberships, threads (community posts), replies and
likes. Users are referenced by plain id: no keys across binds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import CommunityModel, UTCDateTime, utcnow

VISIBILITIES = ("public", "private")
ROLES = ("owner", "moderator", "member")
STATUSES = ("active", "pending", "banned")


class Community(CommunityModel):
    __tablename__ = "communities"
    __table_args__ = (
        sa.CheckConstraint("visibility IN ('public', 'private')", name="ck_communities_visibility"),
        sa.Index("ix_communities_size", "member_count", "id"),
        sa.Index("ix_communities_activity", "last_activity_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    icon_key: Mapped[str | None] = mapped_column(sa.String(255))
    banner_key: Mapped[str | None] = mapped_column(sa.String(255))
    visibility: Mapped[str] = mapped_column(sa.String(8), default="public")
    owner_id: Mapped[int] = mapped_column(index=True)
    member_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_private(self) -> bool:
        return self.visibility == "private"

    def __repr__(self) -> str:
        return f"<Community {self.id} {self.slug}>"


class Membership(CommunityModel):
    """A user's place in a community: an active member with a role, a pending request, or a
    ban (kept so a banned user cannot rejoin)."""

    __tablename__ = "community_memberships"
    __table_args__ = (
        sa.CheckConstraint("role IN ('owner', 'moderator', 'member')", name="ck_memberships_role"),
        sa.CheckConstraint("status IN ('active', 'pending', 'banned')", name="ck_memberships_status"),
        sa.Index("ix_community_memberships_user", "user_id", "status"),
        sa.Index("ix_community_memberships_status", "community_id", "status", "created_at"),
    )

    community_id: Mapped[int] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(12), default="member")
    status: Mapped[str] = mapped_column(sa.String(8), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    banned_by_id: Mapped[int | None] = mapped_column()
    ban_reason: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class CommunityPost(CommunityModel):
    """A thread: title and sanitized HTML body; replies hang off it."""

    __tablename__ = "community_posts"
    __table_args__ = (
        sa.Index("ix_community_posts_listing", "community_id", "pinned", "last_activity_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    reply_count: Mapped[int] = mapped_column(default=0)
    like_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column()
    removed_reason: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class CommunityReply(CommunityModel):
    __tablename__ = "community_replies"
    __table_args__ = (sa.Index("ix_community_replies_post", "post_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("community_posts.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(index=True)
    author_id: Mapped[int] = mapped_column(index=True)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column()
    removed_reason: Mapped[str | None] = mapped_column(sa.String(500))

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class CommunityPostLike(CommunityModel):
    __tablename__ = "community_post_likes"

    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("community_posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
