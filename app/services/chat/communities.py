"""The bridge to communities: membership lookups and the join/leave signals that add a
member to, or rotate the epoch of, a community's conversation.

Imported lazily so chat works (1-on-1) where communities are absent."""

from __future__ import annotations

import logging

log = logging.getLogger("dreamdot.chat")


def _membership():
    from app.services.communities import membership

    return membership


def communities_available() -> bool:
    try:
        _membership()
    except ImportError:
        return False
    return True


def community_by_slug(slug: str):
    return _membership().get_community_by_slug(slug)


def is_community_member(community_id: int, user_id: int) -> bool:
    return bool(_membership().is_member(community_id, user_id))


def community_member_ids(community_id: int) -> list[int]:
    return list(_membership().member_ids(community_id))


AFTER_COMMIT = "dreamdot_chat_after_commit"  # session.info: chat follow-ups after the commit
_installed = False


def communities_of(user_id: int) -> list:
    """The communities the user belongs to (each has one conversation), by name."""
    if not communities_available():
        return []
    import sqlalchemy as sa

    from app.extensions import db
    from app.models.community import Community

    ids = _membership().community_ids_of(user_id)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Community).where(Community.id.in_(ids)).order_by(Community.name)))


def connect_signals() -> None:
    """Follow the community's membership: a newcomer is added (and waits for the current
    key from a member's browser); anyone leaving starts a new epoch.

    The signals fire inside the SQL transaction; the chat's documents live in MongoDB, so
    the change is applied once that transaction commits (and dropped if it rolls back)."""
    global _installed
    from blinker import signal

    signal("community-member-joined").connect(_on_joined, weak=False)
    signal("community-member-left").connect(_on_left, weak=False)
    if not _installed:
        _installed = True
        _install_session_hooks()


def _install_session_hooks() -> None:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    @sa.event.listens_for(Session, "after_commit")
    def _run(session):
        for action in session.info.pop(AFTER_COMMIT, []):
            try:
                action()
            except Exception:  # noqa: BLE001 - the membership is committed; log, do not fail
                log.exception("chat follow-up of a membership change failed")

    @sa.event.listens_for(Session, "after_rollback")
    def _drop(session):
        session.info.pop(AFTER_COMMIT, None)


def _after_commit(action) -> None:
    from app.extensions import db

    db.session().info.setdefault(AFTER_COMMIT, []).append(action)


def _on_joined(community, user_id: int, **_extra) -> None:
    from app.services.chat.conversations import add_community_member

    community_id = community.id
    _after_commit(lambda: add_community_member(community_id, user_id))


def _on_left(community, user_id: int, **_extra) -> None:
    from app.services.chat.conversations import remove_community_member

    community_id = community.id
    _after_commit(lambda: remove_community_member(community_id, user_id))
