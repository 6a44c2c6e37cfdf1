"""Who may see, use and change an item. Pure predicates over the viewer and the item
(they read entitlements, subscriptions and blocks), called by the services and usable
from templates.

`viewer` is a User, Flask-Login's anonymous user, or None."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Entitlement, Item, Subscription
from app.services.payments.subscriptions import subscription_gives_access
from app.services.social.blocks import is_blocked_between


def viewer_id(viewer) -> int | None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.id


def is_creator(viewer, item: Item) -> bool:
    uid = viewer_id(viewer)
    return uid is not None and uid == item.creator_id


def has_entitlement(viewer, item: Item) -> bool:
    """An active (unrevoked) entitlement to this item."""
    uid = viewer_id(viewer)
    if uid is None:
        return False
    return bool(db.session.scalar(
        sa.select(sa.literal(1)).select_from(Entitlement).where(
            Entitlement.user_id == uid, Entitlement.item_id == item.id, Entitlement.revoked_at.is_(None)
        ).limit(1)
    ))


def is_subscribed(viewer, creator_id: int) -> bool:
    uid = viewer_id(viewer)
    if uid is None:
        return False
    subscription = db.session.scalar(
        sa.select(Subscription).where(Subscription.subscriber_id == uid, Subscription.creator_id == creator_id)
    )
    return subscription_gives_access(subscription)


def can_view_item(viewer, item: Item) -> bool:
    """Whether the item exists for `viewer` (else 404): drafts only for the creator,
    deleted items only for the creator and the entitled, nothing across a block."""
    if is_creator(viewer, item):
        return True
    if is_blocked_between(viewer_id(viewer), item.creator_id):
        return False
    if not item.is_published:
        return False
    if item.is_deleted:
        return has_entitlement(viewer, item)
    return True


def can_access_content(viewer, item: Item) -> bool:
    """Whether `viewer` gets the full content, not only the preview."""
    if is_creator(viewer, item):
        return True
    if not can_view_item(viewer, item):
        return False
    if has_entitlement(viewer, item):
        return True
    if item.is_deleted:
        return False
    if item.pricing == "free":
        return True
    if item.pricing == "subscription":
        return is_subscribed(viewer, item.creator_id)
    return False


def can_edit_item(viewer, item: Item) -> bool:
    return is_creator(viewer, item) and not item.is_deleted


def can_buy_item(viewer, item: Item) -> bool:
    """Whether the page offers the purchase form (payments enforces the real rules)."""
    return (
        item.pricing == "one_time"
        and viewer_id(viewer) is not None
        and not is_creator(viewer, item)
        and item.is_published
        and not item.is_deleted
        and can_view_item(viewer, item)
        and not has_entitlement(viewer, item)
    )


def can_review_item(viewer, item: Item) -> bool:
    """Anyone signed in for a free item; the entitled (not the creator) for a paid one."""
    if viewer_id(viewer) is None or is_creator(viewer, item) or not can_view_item(viewer, item):
        return False
    if item.pricing == "free":
        return True
    return has_entitlement(viewer, item) or (
        item.pricing == "subscription" and is_subscribed(viewer, item.creator_id)
    )
