"""The broker: in-process and Redis pub/sub, publish after commit, and gevent."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.models.social import Notification
from app.services import broker as broker_module
from app.services.broker import MemoryBroker, RedisBroker, publish_after_commit, user_channel

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")


def test_memory_delivers_to_subscribers_of_the_channel_only():
    broker = MemoryBroker()
    mine, other = broker.subscribe(["user:1"]), broker.subscribe(["user:2"])
    broker.publish("user:1", {"n": 1})
    assert mine.get(timeout=0.5) == {"n": 1}
    assert other.get(timeout=0.05) is None


def test_memory_publish_many_reaches_every_channel():
    broker = MemoryBroker()
    subs = [broker.subscribe([f"user:{i}"]) for i in range(3)]
    broker.publish_many(["user:0", "user:2"], {"n": 1})
    assert [s.get(timeout=0.05) for s in subs] == [{"n": 1}, None, {"n": 1}]


def test_closed_subscription_receives_nothing_and_leaves_the_hub():
    broker = MemoryBroker()
    with broker.subscribe(["user:1", "user:2"]) as subscription:
        assert broker.hub.subscriber_count() == 2
    assert broker.hub.subscriber_count() == 0
    assert broker.hub.channels == {}
    broker.publish("user:1", {"n": 1})
    assert subscription.get(timeout=0.05) is None
    subscription.close()  # twice is harmless


def test_a_slow_subscriber_loses_events_not_memory(monkeypatch):
    monkeypatch.setattr(broker_module, "QUEUE_SIZE", 3)
    broker = MemoryBroker()
    subscription = broker.subscribe(["user:1"])
    for n in range(5):
        broker.publish("user:1", {"n": n})
    received = [subscription.get(timeout=0.05) for _ in range(4)]
    assert received == [{"n": 0}, {"n": 1}, {"n": 2}, None]


def test_get_returns_none_after_the_timeout():
    subscription = MemoryBroker().subscribe(["user:1"])
    started = time.monotonic()
    assert subscription.get(timeout=0.1) is None
    assert 0.09 <= time.monotonic() - started < 1


def _note(user_id: int = 1) -> Notification:
    note = Notification(user_id=user_id, kind="follow", text="")
    db.session.add(note)
    db.session.flush()
    return note


def _pending(app):
    return app.extensions["dreamdot.broker"].subscribe([user_channel(1)])


def test_publish_after_commit_waits_for_the_commit(app):
    subscription = _pending(app)
    publish_after_commit(db.session, user_channel(1), {"id": _note().id})
    assert subscription.get(timeout=0.05) is None
    db.session.commit()
    assert subscription.get(timeout=0.5)["id"] > 0
    subscription.close()


def test_publish_after_commit_is_dropped_on_rollback(app):
    subscription = _pending(app)
    publish_after_commit(db.session, user_channel(1), {"id": _note().id})
    db.session.rollback()
    db.session.commit()
    assert subscription.get(timeout=0.1) is None
    subscription.close()


def test_an_event_made_in_a_rolled_back_savepoint_is_dropped(app):
    subscription = _pending(app)
    publish_after_commit(db.session, user_channel(1), {"kept": 1, "id": _note().id})
    savepoint = db.session.begin_nested()
    publish_after_commit(db.session, user_channel(1), {"kept": 0, "id": _note().id})
    savepoint.rollback()
    inner = db.session.begin_nested()
    publish_after_commit(db.session, user_channel(1), {"kept": 2, "id": _note().id})
    inner.commit()
    db.session.commit()
    received = [subscription.get(timeout=0.2) for _ in range(3)]
    assert [e and e["kept"] for e in received] == [1, 2, None]
    subscription.close()


def test_publish_after_commit_to_many_channels(app):
    broker = app.extensions["dreamdot.broker"]
    subs = [broker.subscribe([user_channel(i)]) for i in (1, 2)]
    publish_after_commit(db.session, [user_channel(1), user_channel(2)], {"type": "new_post"})
    _note()
    db.session.commit()
    assert [s.get(timeout=0.5) for s in subs] == [{"type": "new_post"}] * 2
    for s in subs:
        s.close()


def _run_gevent_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "services" / "gevent_broker_check.py"), *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=30,
    )


def test_memory_broker_cooperates_with_gevent():
    result = _run_gevent_check()
    assert result.stdout.strip() == "OK", result.stderr


@pytest.fixture
def redis_prefix():
    return f"dreamdot-test-broker-{os.getpid()}-{time.time_ns()}:"


@pytest.mark.redis
@needs_redis
def test_redis_crosses_processes(redis_prefix):
    # Two brokers with their own listeners stand for two processes sharing Redis.
    one, two = RedisBroker(REDIS_URL, redis_prefix), RedisBroker(REDIS_URL, redis_prefix)
    try:
        assert two._listener is None  # started only when someone subscribes
        subscription = two.subscribe(["user:5"])
        other = two.subscribe(["user:6"])
        started = time.monotonic()
        one.publish("user:5", {"type": "notification", "id": 3})
        assert subscription.get(timeout=1) == {"type": "notification", "id": 3}
        assert time.monotonic() - started < 1
        assert other.get(timeout=0.1) is None
        one.publish_many(["user:5", "user:6"], {"n": 2})
        assert subscription.get(timeout=1) == {"n": 2} and other.get(timeout=1) == {"n": 2}
    finally:
        one.close()
        two.close()


@pytest.mark.redis
@needs_redis
def test_redis_prefixes_keep_deployments_apart(redis_prefix):
    # Glob characters in a prefix are literal: "a*" must not hear "ab:".
    listener = RedisBroker(REDIS_URL, redis_prefix + "a*:")
    neighbour = RedisBroker(REDIS_URL, redis_prefix + "ab:")
    try:
        subscription = listener.subscribe(["user:1"])
        neighbour.publish("user:1", {"n": "neighbour"})
        listener.publish("user:1", {"n": "mine"})
        assert subscription.get(timeout=1) == {"n": "mine"}
        assert subscription.get(timeout=0.2) is None
    finally:
        listener.close()
        neighbour.close()


@pytest.mark.redis
@needs_redis
def test_redis_listener_restarts_in_a_new_process(redis_prefix):
    broker = RedisBroker(REDIS_URL, redis_prefix)
    try:
        broker.subscribe(["user:1"])
        first = broker._listener
        broker._listener_pid = -1  # what a forked child sees: the parent's thread is not ours
        subscription = broker.subscribe(["user:2"])
        assert broker._listener is not first and broker._listener.is_alive()
        broker.publish("user:2", {"n": 1})
        assert subscription.get(timeout=1) == {"n": 1}
    finally:
        broker.close()
        first.join(timeout=3)


@pytest.mark.redis
@needs_redis
def test_redis_publish_survives_an_unreachable_server(redis_prefix, caplog):
    broker = RedisBroker("redis://127.0.0.1:1/0", redis_prefix)
    broker.publish("user:1", {"n": 1})  # logged, not raised
    assert "publish" in caplog.text


@pytest.mark.redis
@needs_redis
def test_redis_broker_cooperates_with_gevent():
    result = _run_gevent_check(REDIS_URL)
    assert result.stdout.strip() == "OK", result.stderr
