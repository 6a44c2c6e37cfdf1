"""Notifications: stored in the `social` bind, announced live through the broker.

Every domain notifies through `notify`; it enforces the rules that hold everywhere: nobody
is notified of their own actions, nothing crosses a block, and a muted user's activity
makes no notification (and they cannot tell)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Mute, Notification
from app.services.broker import publish_after_commit, user_channel
from app.services.social.blocks import is_blocked_between


def has_muted(user_id: int, other_id: int) -> bool:
    return db.session.get(Mute, (user_id, other_id)) is not None


def notify(
    user_id: int,
    kind: str,
    *,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: object = None,
    text: str = "",
    url: str | None = None,
) -> Notification | None:
    """Store a notification for `user_id` and announce it after commit; None when a rule
    says it must not be made."""
    if actor_id is not None:
        if actor_id == user_id or is_blocked_between(user_id, actor_id) or has_muted(user_id, actor_id):
            return None
    notification = Notification(
        user_id=user_id,
        kind=kind,
        actor_id=actor_id,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        text=text[:300],
        url=url,
    )
    db.session.add(notification)
    db.session.flush()
    publish_after_commit(
        db.session, user_channel(user_id), {"type": "notification", "id": notification.id, "kind": kind}
    )
    return notification


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
