"""Work a service queues in a session's `info` for its commit (broker events, chat
follow-ups, durable audit events). Each names its key here, once, where it defines it:
a session holding queued work under any of them is always committed (a read-only page's
`reads.end_without_commit` looks here, so no queued work is dropped with the commit)."""

from __future__ import annotations

KEYS: set[str] = set()


def queued_for_commit(key: str) -> str:
    """Name a `session.info` key under which work waits for the commit; returns the key."""
    KEYS.add(key)
    return key


def has_queued_work(session) -> bool:
    return any(session.info.get(key) for key in KEYS)
