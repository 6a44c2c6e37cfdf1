"""The `audit` bind: security, admin and system events."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import AuditModel, UTCDateTime, utcnow


class AuditEvent(AuditModel):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_action_created", "action", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int | None] = mapped_column(index=True)  # the acting user, if any
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
