"""The audit log: one row per security, admin or system event, in the `audit` bind."""

from __future__ import annotations

from app.extensions import db
from app.models import AuditEvent
from app.services import NO_ORIGIN, Origin


def record_event(
    action: str,
    *,
    user_id: int | None = None,
    origin: Origin = NO_ORIGIN,
    target_type: str | None = None,
    target_id: object = None,
    **details: object,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        user_id=user_id,
        ip=origin.ip,
        user_agent=(origin.user_agent or "")[:255] or None,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event
