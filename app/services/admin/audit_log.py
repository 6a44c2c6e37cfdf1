"""Searching the audit log: who did what, when (newest first, keyset on id)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, User
from app.services.analytics.ranges import DateRange
from app.services.ids import MAX_ID
from app.services.numbers import whole_number


def actor_id_for(text: str | None) -> int | None:
    """A user id from `@name`, `name` or a number; -1 (matches nothing) for an unknown name."""
    text = (text or "").strip().lstrip("@")
    if not text:
        return None
    number = whole_number(text)
    if number is not None:
        return number if 0 <= number <= MAX_ID else -1
    uid = db.session.scalar(sa.select(User.id).where(User.username == text.lower()))
    return uid if uid is not None else -1


def search_events(*, actor_id: int | None = None, action: str | None = None, rng: DateRange | None = None,
                  before_id: int | None = None, target: tuple[str, object] | None = None,
                  limit: int = 50) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.user_id == actor_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action.strip()[:64])
    if rng is not None:
        stmt = stmt.where(AuditEvent.created_at >= rng.begins_at, AuditEvent.created_at < rng.ends_before)
    if before_id:
        stmt = stmt.where(AuditEvent.id < before_id)
    if target is not None:
        stmt = stmt.where(AuditEvent.target_type == target[0], AuditEvent.target_id == str(target[1]))
    return list(db.session.scalars(stmt))


# Suggestions for the action filter (any action can be typed): reading the distinct actions of
# a large audit table would scan all of it.
COMMON_ACTIONS = (
    "user_suspended", "user_reinstated", "report_dismissed", "report_removed", "report_suspended",
    "content_removed", "payout_approved", "payout_rejected", "payout_resent", "admin_granted",
    "signin", "signin_failed", "signin_refused_suspended", "signout", "signup", "post_delete", "item_delete",
)


def usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all())
