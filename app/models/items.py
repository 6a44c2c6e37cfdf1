"""The `items` bind, marketplace part: items (metadata; full content lives in MongoDB),
entitlements, creators' subscription plans and subscriptions, reviews, favorites and
collections. Users are referenced by plain id: no cross-bind keys.

Payments writes `Entitlement` and `Subscription` rows; who is entitled to what is decided
by `app.services.items.policies`."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ItemsModel, UTCDateTime, utcnow

KINDS = ("download", "writing", "art", "comic")
PRICINGS = ("free", "one_time", "subscription")
STATUSES = ("draft", "published")
SUBSCRIPTION_STATUSES = ("active", "grace", "lapsed", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Item(ItemsModel):
    __tablename__ = "items"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", KINDS), name="ck_items_kind"),
        sa.CheckConstraint(_in("pricing", PRICINGS), name="ck_items_pricing"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_items_status"),
        sa.CheckConstraint("price_cents >= 0", name="ck_items_price_nonneg"),
        sa.Index("ix_items_creator_id", "creator_id", "id"),
        sa.Index("ix_items_published", "published_at", "id"),
        sa.Index("ix_items_popular", "popularity", "id"),
        # Full-text search (app/services/items/search.py).
        sa.Index(
            "ix_items_search_tsv",
            sa.text("to_tsvector('simple', search_text)"),
            postgresql_using="gin",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cover_key: Mapped[str | None] = mapped_column(sa.String(255))
    # Art: the public preview of its first image (the content's, kept in step by the items
    # services), which cards show when the item has no cover of its own.
    preview_key: Mapped[str | None] = mapped_column(sa.String(255))
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    pricing: Mapped[str] = mapped_column(sa.String(16), default="free")
    price_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    # title + description + tags, kept by the service: what full-text search indexes.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    rating_sum: Mapped[int] = mapped_column(default=0)
    review_count: Mapped[int] = mapped_column(default=0)
    favorite_count: Mapped[int] = mapped_column(default=0)
    # What "popular" sorts by: favorites + reviews + entitlements granted (payments may add).
    popularity: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_paid(self) -> bool:
        return self.pricing != "free"

    @property
    def rating_avg(self) -> float | None:
        return round(self.rating_sum / self.review_count, 2) if self.review_count else None

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.kind} {self.title!r}>"


class ItemTag(ItemsModel):
    """One row per tag of an item: what the marketplace's tag filter joins on."""

    __tablename__ = "item_tags"
    __table_args__ = (sa.Index("ix_item_tags_tag", "tag", "item_id"),)

    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class Entitlement(ItemsModel):
    """`user_id` may use `item_id`'s content. One active (unrevoked) row per user and item."""

    __tablename__ = "entitlements"
    __table_args__ = (
        sa.Index(
            "uq_entitlements_active", "user_id", "item_id", unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
        sa.Index("ix_entitlements_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    source: Mapped[str] = mapped_column(sa.String(16), default="purchase")  # purchase, grant
    purchase_id: Mapped[int | None] = mapped_column()  # the payments purchase row, plain id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CreatorPlan(ItemsModel):
    """A creator's one monthly subscription price."""

    __tablename__ = "creator_plans"
    __table_args__ = (sa.CheckConstraint("monthly_price_cents > 0", name="ck_creator_plans_price"),)

    creator_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    monthly_price_cents: Mapped[int] = mapped_column(sa.BigInteger)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Subscription(ItemsModel):
    """`subscriber_id` subscribes to `creator_id`; billed by payments. One row per pair."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        sa.UniqueConstraint("subscriber_id", "creator_id", name="uq_subscriptions_pair"),
        sa.CheckConstraint(_in("status", SUBSCRIPTION_STATUSES), name="ck_subscriptions_status"),
        sa.Index("ix_subscriptions_creator", "creator_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column()
    creator_id: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    price_cents: Mapped[int] = mapped_column(sa.BigInteger)
    current_period_start: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    current_period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Review(ItemsModel):
    __tablename__ = "reviews"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "user_id", name="uq_reviews_item_user"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
        sa.Index("ix_reviews_item", "item_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    user_id: Mapped[int] = mapped_column()
    rating: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Favorite(ItemsModel):
    __tablename__ = "favorites"
    __table_args__ = (sa.Index("ix_favorites_user", "user_id", "created_at"),)

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Collection(ItemsModel):
    """A user's named list of items, public or private."""

    __tablename__ = "collections"
    __table_args__ = (sa.UniqueConstraint("owner_id", "name", name="uq_collections_owner_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(80))
    is_public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CollectionItem(ItemsModel):
    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
