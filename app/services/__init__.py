"""Domain logic. Services take the acting user and plain data as arguments, never the
Flask request, and raise the errors of `app.services.errors`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Where a request came from, for the audit log: passed in by the web edge."""

    ip: str | None = None
    user_agent: str | None = None


NO_ORIGIN = Origin()
