"""The audit log: one row per security, admin or system event, in the `audit` bind."""

from __future__ import annotations

from app.extensions import db
from app.models import AuditEvent
from app.models.base import utcnow
from app.services import NO_ORIGIN, Origin

DURABLE_KEY = "dreamdot.durable_audit"  # session.info: events kept through a rollback


def record_event(
    action: str,
    *,
    user_id: int | None = None,
    origin: Origin = NO_ORIGIN,
    target_type: str | None = None,
    target_id: object = None,
    durable: bool = False,
    **details: object,
) -> AuditEvent:
    """Add an audit row to the unit of work. `durable` events (a failed sign-in) are kept
    even when the request fails and its unit of work is rolled back."""
    values = {
        "action": action,
        "user_id": user_id,
        "ip": origin.ip,
        "user_agent": (origin.user_agent or "")[:255] or None,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "details": details,
        "created_at": utcnow(),
    }
    event = AuditEvent(**values)
    db.session.add(event)
    db.session.flush()
    if durable:
        db.session.info.setdefault(DURABLE_KEY, []).append(values)
    return event


def forget_durable_events(session) -> None:
    session.info.pop(DURABLE_KEY, None)


def readd_durable_events(session) -> bool:
    """After a rollback: add again the durable events the rollback discarded."""
    pending = session.info.pop(DURABLE_KEY, [])
    for values in pending:
        session.add(AuditEvent(**values))
    return bool(pending)
