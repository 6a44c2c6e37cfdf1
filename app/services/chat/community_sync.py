"""Keeping each community's conversation in step with the community's membership: the
join/leave signals of `app.services.communities.membership` add a member to, or rotate the
epoch of, the conversation."""

from __future__ import annotations

from app.extensions import db
from app.services.after_commit import after_commit
from app.services.chat.conversations import add_community_member, remove_community_member
from app.services.communities.membership import member_joined, member_left


def connect_signals() -> None:
    """Follow the community's membership: a newcomer is added (and waits for the current
    key from a member's browser); anyone leaving starts a new epoch.

    The signals fire inside the SQL transaction; the chat's documents live in MongoDB, so
    the change is applied once that transaction commits (and dropped if it rolls back)."""
    member_joined.connect(_on_joined, weak=False)
    member_left.connect(_on_left, weak=False)


def _on_joined(community, user_id: int, **_extra) -> None:
    community_id = community.id
    after_commit(db.session, lambda: add_community_member(community_id, user_id), label="chat membership")


def _on_left(community, user_id: int, **_extra) -> None:
    community_id = community.id
    after_commit(db.session, lambda: remove_community_member(community_id, user_id), label="chat membership")
