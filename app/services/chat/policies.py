"""Who may do what in chat: pure predicates over plain values."""

from __future__ import annotations


def is_conversation_member(user_id: int | None, conversation) -> bool:
    return bool(user_id) and user_id in (conversation.member_ids or [])


def can_send_direct(sender_id: int, recipient_id: int, *, blocked: bool) -> bool:
    """A blocked pair (either direction) cannot message each other."""
    return sender_id != recipient_id and not blocked
