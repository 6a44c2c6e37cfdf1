"""Keeping each community's conversation in step with the community's membership: the
join/leave signals of `app.services.communities.membership` add a member to, or rotate the
epoch of, the conversation."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from app.services.chat.conversations import add_community_member, remove_community_member
from app.services.communities.membership import member_joined, member_left

log = logging.getLogger("dreamdot.chat")

AFTER_COMMIT = "dreamdot_chat_after_commit"  # session.info: chat follow-ups after the commit
_installed = False


def connect_signals() -> None:
    """Follow the community's membership: a newcomer is added (and waits for the current
    key from a member's browser); anyone leaving starts a new epoch.

    The signals fire inside the SQL transaction; the chat's documents live in MongoDB, so
    the change is applied once that transaction commits (and dropped if it rolls back)."""
    global _installed
    member_joined.connect(_on_joined, weak=False)
    member_left.connect(_on_left, weak=False)
    if not _installed:
        _installed = True
        _install_session_hooks()


def _install_session_hooks() -> None:
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
    db.session().info.setdefault(AFTER_COMMIT, []).append(action)


def _on_joined(community, user_id: int, **_extra) -> None:
    community_id = community.id
    _after_commit(lambda: add_community_member(community_id, user_id))


def _on_left(community, user_id: int, **_extra) -> None:
    community_id = community.id
    _after_commit(lambda: remove_community_member(community_id, user_id))
