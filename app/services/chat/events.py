"""Chat events on the broker: one channel per user, so a member's every connection (on
any process, through Redis) receives what concerns them."""

from __future__ import annotations

from app.services.broker import publish_many


def chat_channel(user_id: int) -> str:
    return f"chat:{user_id}"


def frame(event: str, data: dict) -> dict:
    return {"event": event, "data": data}


def publish_to_users(user_ids, event: str, data: dict) -> None:
    channels = [chat_channel(user_id) for user_id in set(user_ids)]
    if channels:
        publish_many(channels, frame(event, data))
