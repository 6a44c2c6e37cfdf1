"""The broker: publish/subscribe for live events (notifications, feed updates, chat,
presence, typing). In-process by default (one worker); Redis pub/sub when REDIS_URL is set,
which lets several workers and dynos share events.

Each process keeps one local fan-out table. With Redis, a single listener per process
receives every DreamDot channel (one pattern subscription) and hands each message to the
local subscribers of that channel, so 5,000 SSE streams cost one Redis connection, not 5,000.
Queues are bounded: a subscriber that stops reading loses live events, never memory; what
matters (notifications, messages) is in the database and is re-read on reconnect."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import defaultdict

from flask import current_app

log = logging.getLogger("dreamdot.broker")

PREFIX = "dreamdot:"
QUEUE_SIZE = 1000


class Subscription:
    def __init__(self, hub: LocalHub, channels: list[str]) -> None:
        self.hub = hub
        self.channels = list(channels)
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
        self.closed = False

    def get(self, timeout: float | None = None) -> dict | None:
        """The next event, or None after `timeout` seconds without one."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def deliver(self, event: dict) -> None:
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            log.warning("subscriber too slow on %s: event dropped", self.channels)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub.remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalHub:
    """Channel -> subscriptions of this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.channels: dict[str, set[Subscription]] = defaultdict(set)

    def add(self, channels: list[str]) -> Subscription:
        subscription = Subscription(self, channels)
        with self.lock:
            for channel in channels:
                self.channels[channel].add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        with self.lock:
            for channel in subscription.channels:
                subscribers = self.channels.get(channel)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self.channels[channel]

    def dispatch(self, channel: str, event: dict) -> None:
        with self.lock:
            subscribers = list(self.channels.get(channel, ()))
        for subscription in subscribers:
            subscription.deliver(event)

    def subscriber_count(self) -> int:
        with self.lock:
            return sum(len(s) for s in self.channels.values())


class MemoryBroker:
    mode = "memory"

    def __init__(self) -> None:
        self.hub = LocalHub()

    def publish(self, channel: str, event: dict) -> None:
        self.hub.dispatch(channel, event)

    def subscribe(self, channels: list[str]) -> Subscription:
        return self.hub.add(channels)

    def close(self) -> None:
        pass


class RedisBroker:
    mode = "redis"

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        import redis

        self.prefix = prefix
        self.hub = LocalHub()
        self.redis = redis.Redis.from_url(url, health_check_interval=30, socket_timeout=10)
        self.url = url
        self._stop = threading.Event()
        self._listener = threading.Thread(target=self._listen, name="broker-listener", daemon=True)
        self._listener.start()

    def publish(self, channel: str, event: dict) -> None:
        import redis

        try:
            self.redis.publish(self.prefix + channel, json.dumps(event, separators=(",", ":")))
        except redis.RedisError as exc:
            # Live delivery is best effort; the database keeps what must not be lost.
            log.warning("broker publish to %s failed: %s", channel, exc)

    def subscribe(self, channels: list[str]) -> Subscription:
        return self.hub.add(channels)

    def _listen(self) -> None:
        import redis

        delay = 0.5
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(self.prefix + "*")
                delay = 0.5
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "pmessage":
                        channel = message["channel"].decode()[len(self.prefix) :]
                        self.hub.dispatch(channel, json.loads(message["data"]))
            except (redis.RedisError, OSError, ValueError) as exc:
                log.warning("broker listener lost Redis (%s); retrying in %.1fs", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: BLE001 - closing a broken connection
                        pass

    def close(self) -> None:
        self._stop.set()


def init_broker(app) -> None:
    url = app.config.get("REDIS_URL")
    broker = RedisBroker(url, app.config.get("BROKER_PREFIX", PREFIX)) if url else MemoryBroker()
    app.extensions["dreamdot.broker"] = broker
    app.extensions["dreamdot.broker_mode"] = broker.mode


def broker():
    return current_app.extensions["dreamdot.broker"]


def publish(channel: str, event: dict) -> None:
    broker().publish(channel, event)


def publish_after_commit(session, channel: str, event: dict) -> None:
    """Publish once the current transaction commits (dropped if it rolls back), so a
    subscriber that reads the database finds what the event announces."""
    session.info.setdefault("dreamdot_publish", []).append((channel, event))


_hooks_installed = False


def install_session_hooks(db) -> None:
    global _hooks_installed
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    if _hooks_installed:
        return
    _hooks_installed = True

    @sa.event.listens_for(Session, "after_commit")
    def _after_commit(session):
        pending = session.info.pop("dreamdot_publish", [])
        for channel, event in pending:
            publish(channel, event)

    @sa.event.listens_for(Session, "after_rollback")
    def _after_rollback(session):
        session.info.pop("dreamdot_publish", None)


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"
