"""What the navigation shows a signed-in user on every page: the unread-notifications badge
(social bind), the conversations with unread messages (one indexed count in MongoDB) and the
balance (items bind), each read by its own service."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.services.chat.unread import unread_conversation_count
from app.services.notifications import unread_count
from app.services.payments.balances import get_balance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavSummary:
    unread: int = 0
    balance: dict | None = None
    unread_chats: int = 0


def _balance(user_id: int) -> dict | None:
    try:
        return get_balance(user_id)
    except Exception:  # noqa: BLE001 - the navigation never breaks a page
        log.exception("balance for navigation")
        return None


def _unread_chats(user_id: int) -> int:
    try:
        return unread_conversation_count(user_id)
    except Exception:  # noqa: BLE001 - the navigation never breaks a page
        log.exception("unread conversations for navigation")
        return 0


def nav_summary(user) -> NavSummary:
    if user is None or not user.is_authenticated:
        return NavSummary()
    return NavSummary(unread_count(user.id), _balance(user.id), _unread_chats(user.id))
