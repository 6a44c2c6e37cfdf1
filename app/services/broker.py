"""The broker: publish/subscribe for live events (notifications, feed updates, chat,
presence, typing). In-process by default (one worker); Redis pub/sub when REDIS_URL is set,
which lets several workers and dynos share events.

Each process keeps one local fan-out table. With Redis, a single listener per process
receives every DreamDot channel (one pattern subscription) and hands each message to the
local subscribers of that channel, so thousands of SSE streams cost one Redis connection.
Queues are bounded: a subscriber that stops reading loses live events, never memory; what
matters (notifications, messages) is in the database and is re-read on reconnect."""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections import defaultdict

import redis
from flask import current_app

from app.services.after_commit import after_commit

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
        self.publish_many([channel], event)

    def publish_many(self, channels: list[str], event: dict) -> None:
        # One object per publish, handed unchanged to every subscriber: subscribers may use
        # its identity to share work on it (the event streams render once per recipient).
        event = dict(event)
        for channel in channels:
            self.hub.dispatch(channel, event)

    def subscribe(self, channels: list[str]) -> Subscription:
        return self.hub.add(channels)

    def close(self) -> None:
        pass


class RedisBroker:
    """Redis pub/sub. Publishing uses the shared client; receiving uses one pattern listener
    per process, started lazily on the first subscription (and again in a forked child, whose
    copy of the parent's thread does not run)."""

    mode = "redis"
    READY_WAIT = 3.0
    RETRY_AFTER = 5.0  # seconds without publishing to Redis after a failed publish

    def __init__(self, url: str, prefix: str = PREFIX, timeout: float = 2.0) -> None:
        self.prefix = prefix
        self.hub = LocalHub()
        # Short timeouts: a publish happens after a request's commit, and an unreachable
        # Redis must cost that request at most `timeout`, not hold it.
        self.redis = redis.Redis.from_url(
            url, health_check_interval=30, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.url = url
        self._down_until = 0.0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._start_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._listener_pid: int | None = None

    def publish(self, channel: str, event: dict) -> None:
        self.publish_many([channel], event)

    def publish_many(self, channels: list[str], event: dict) -> None:
        if not channels:
            return
        if time.monotonic() < self._down_until:
            self._deliver_here(channels, event)
            return
        data = json.dumps(event, separators=(",", ":"))
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                for channel in channels:
                    pipe.publish(self.prefix + channel, data)
                pipe.execute()
        except redis.RedisError as exc:
            # Live delivery is best effort; the database keeps what must not be lost. For a
            # few seconds requests stop waiting on Redis, and this process's own subscribers
            # still get the event.
            self._down_until = time.monotonic() + self.RETRY_AFTER
            log.warning("broker publish to %d channel(s) failed: %s", len(channels), exc)
            self._deliver_here(channels, event)

    def _deliver_here(self, channels: list[str], event: dict) -> None:
        event = dict(event)  # one object per publish, as MemoryBroker
        for channel in channels:
            self.hub.dispatch(channel, event)

    def subscribe(self, channels: list[str]) -> Subscription:
        subscription = self.hub.add(channels)
        self._ensure_listener()
        # An event published right after subscribe() returns must not be missed: wait
        # (briefly, and only the first time) until the listener's psubscribe is confirmed.
        if not self._ready.wait(self.READY_WAIT):
            log.warning("broker listener not ready after %.1fs; live events may be late", self.READY_WAIT)
        return subscription

    def _ensure_listener(self) -> None:
        pid = os.getpid()
        if self._listener_pid == pid and self._listener is not None and self._listener.is_alive():
            return
        with self._start_lock:
            if self._listener_pid == pid and self._listener is not None and self._listener.is_alive():
                return
            self._ready.clear()
            self._stop.clear()
            self._listener_pid = pid
            self._listener = threading.Thread(target=self._listen, name="broker-listener", daemon=True)
            self._listener.start()

    def _pattern(self) -> str:
        # The prefix is literal: escape the glob characters Redis patterns know.
        escaped = "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix)
        return escaped + "*"

    def _listen(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self.redis.pubsub()
                pubsub.psubscribe(self._pattern())
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if not message:
                        continue
                    if message["type"] == "psubscribe":
                        self._ready.set()
                        delay = 0.5
                    elif message["type"] == "pmessage":
                        self._dispatch(message)
            except (redis.RedisError, OSError) as exc:
                self._ready.clear()
                log.warning("broker listener lost Redis (%s); retrying in %.1fs", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: BLE001, S110 - closing a broken connection
                        pass

    def _dispatch(self, message: dict) -> None:
        channel = message["channel"].decode()[len(self.prefix) :]
        try:
            event = json.loads(message["data"])
        except ValueError:
            log.warning("broker ignored a message on %s that is not JSON", channel)
            return
        self.hub.dispatch(channel, event)

    def close(self) -> None:
        self._stop.set()
        self._ready.clear()
        if self._listener is not None and self._listener_pid == os.getpid():
            self._listener.join(timeout=3)


def init_broker(app) -> None:
    url = app.config.get("REDIS_URL")
    timeout = app.config.get("REDIS_TIMEOUT_SECONDS", 2.0)
    broker = RedisBroker(url, app.config.get("BROKER_PREFIX", PREFIX), timeout) if url else MemoryBroker()
    app.extensions["dreamdot.broker"] = broker
    app.extensions["dreamdot.broker_mode"] = broker.mode


def broker():
    return current_app.extensions["dreamdot.broker"]


def publish(channel: str, event: dict) -> None:
    broker().publish(channel, event)


def publish_many(channels: list[str], event: dict) -> None:
    """One event to many channels (one Redis round trip)."""
    broker().publish_many(list(channels), event)


def publish_after_commit(session, channel: str | list[str], event: dict) -> None:
    """Publish once the current transaction commits (dropped if it rolls back, including a
    rolled-back savepoint it was made in), so a subscriber that reads the database finds
    what the event announces. `channel` may be a list: one event to many channels."""
    channels = [channel] if isinstance(channel, str) else list(channel)
    after_commit(session, lambda: publish_many(channels, event), label="broker publish")


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"
