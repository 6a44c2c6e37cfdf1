"""Chat events on the broker: one channel per user, so a member's every connection (on
any process, through Redis) receives what concerns them."""

from __future__ import annotations

from app.services.broker import publish


def chat_channel(user_id: int) -> str:
    return f"chat:{user_id}"


def frame(event: str, data: dict) -> dict:
    return {"event": event, "data": data}


def publish_to_users(user_ids, event: str, data: dict) -> None:
    message = frame(event, data)
    for user_id in set(user_ids):
        publish(chat_channel(user_id), message)
