"""Who is online. Each open websocket is an entry with an expiry, refreshed by the
connection's heartbeat; a user is online while any entry is unexpired. In Redis (a sorted
set per user, scores = expiry) when REDIS_URL is set, so every process agrees and a
crashed process's connections fall away within the TTL; an in-process dict otherwise."""

from __future__ import annotations

import threading
import time

import redis
from flask import current_app

from app.services.chat.events import publish_to_users
from app.services.social.blocks import blocked_user_ids


class MemoryPresence:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[int, dict[str, float]] = {}

    def touch(self, user_id: int, connection_id: str, ttl: int) -> bool:
        """Refresh; True when the user was offline before."""
        now = time.time()
        with self.lock:
            mine = self.entries.setdefault(user_id, {})
            was_online = any(exp > now for exp in mine.values())
            mine[connection_id] = now + ttl
        return not was_online

    def drop(self, user_id: int, connection_id: str) -> bool:
        """Forget one connection; True when the user is now offline."""
        with self.lock:
            mine = self.entries.get(user_id, {})
            mine.pop(connection_id, None)
            if not mine:
                self.entries.pop(user_id, None)
        return not self.online([user_id])

    def online(self, user_ids) -> set[int]:
        now = time.time()
        with self.lock:
            return {u for u in user_ids if any(exp > now for exp in self.entries.get(u, {}).values())}


class RedisPresence:
    def __init__(self, url: str, prefix: str, timeout: float = 2.0) -> None:
        self.redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.prefix = prefix

    def _key(self, user_id: int) -> str:
        return f"{self.prefix}presence:{user_id}"

    def touch(self, user_id: int, connection_id: str, ttl: int) -> bool:
        now = time.time()
        key = self._key(user_id)
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zcard(key)
        pipe.zadd(key, {connection_id: now + ttl})
        pipe.expire(key, ttl)
        _, before, _, _ = pipe.execute()
        return before == 0

    def drop(self, user_id: int, connection_id: str) -> bool:
        key = self._key(user_id)
        pipe = self.redis.pipeline()
        pipe.zrem(key, connection_id)
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zcard(key)
        return pipe.execute()[2] == 0

    def online(self, user_ids) -> set[int]:
        user_ids = list(user_ids)
        now = time.time()
        pipe = self.redis.pipeline()
        for user_id in user_ids:
            pipe.zcount(self._key(user_id), now, "+inf")
        return {u for u, n in zip(user_ids, pipe.execute(), strict=True) if n}


def init_presence(app) -> None:
    url = app.config.get("REDIS_URL")
    prefix = app.config.get("BROKER_PREFIX", "dreamdot:")
    timeout = app.config.get("REDIS_TIMEOUT_SECONDS", 2.0)
    app.extensions["dreamdot.presence"] = RedisPresence(url, prefix, timeout) if url else MemoryPresence()


def presence():
    return current_app.extensions["dreamdot.presence"]


def contacts_in(conversations, user_id: int) -> set[int]:
    """Everyone who shares one of these conversations with the user (they see each other's
    presence), except across a block."""
    ids: set[int] = set()
    for conversation in conversations:
        ids.update(conversation.member_ids)
    ids.discard(user_id)
    return ids - blocked_user_ids(user_id) if ids else ids


def come_online(user_id: int, connection_id: str, contacts: set[int]) -> None:
    ttl = current_app.config["CHAT_PRESENCE_TTL_SECONDS"]
    if presence().touch(user_id, connection_id, ttl):
        publish_to_users(contacts | {user_id}, "presence", {"user_id": user_id, "online": True})


def heartbeat(user_id: int, connection_id: str) -> None:
    presence().touch(user_id, connection_id, current_app.config["CHAT_PRESENCE_TTL_SECONDS"])


def go_offline(user_id: int, connection_id: str, contacts: set[int]) -> None:
    if presence().drop(user_id, connection_id):
        publish_to_users(contacts | {user_id}, "presence", {"user_id": user_id, "online": False})


def online_among(contacts: set[int]) -> dict[int, bool]:
    online = presence().online(contacts) if contacts else set()
    return {c: c in online for c in contacts}
