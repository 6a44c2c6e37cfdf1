"""Several processes sharing Redis: messages, typing, presence and receipts cross from one
app to the other, and presence of a vanished process expires.

The two apps are separate Flask apps with their own servers, brokers (each its own Redis
listener and local fan-out) and presence stores, so nothing reaches the other side except
through Redis. They run in this test process, on its databases; tests/infra/test_two_dynos.py
does the same with two OS processes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import config
from app import create_app
from app.extensions import db
from app.services.chat.presence import MemoryPresence, RedisPresence
from tests.chat.peers import Peer
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.support.live import serving

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    return url


def test_two_app_processes_share_chat_through_redis(app, redis_url):
    first, second = (create_app(config.TestingConfig(Path(app.config["INSTANCE_PATH"]))) for _ in range(2))
    assert first.extensions["dreamdot.broker"] is not second.extensions["dreamdot.broker"]
    assert first.extensions["dreamdot.broker"].mode == "redis"
    alice_user, bob_user = UserFactory(), UserFactory()
    with serving(first) as one, serving(second) as two:
        alice = Peer(one, alice_user, bearer(app, alice_user)["Authorization"][7:])
        bob = Peer(two, bob_user, bearer(app, bob_user)["Authorization"][7:])
        try:
            conversation_id = alice.direct_with(bob.id)
            alice.connect()
            time.sleep(0.3)  # let the Redis listeners subscribe
            bob.connect()
            assert alice.expect("presence", user_id=bob.id, online=True)
            assert bob.expect("presence", user_id=alice.id)["online"] is True

            bob.emit("typing", {"conversation_id": conversation_id, "is_typing": True})
            assert alice.expect("typing", user_id=bob.id)["is_typing"] is True

            sent = alice.send_direct(conversation_id, bob.id, "across processes")
            message = bob.expect("message", client_msg_id=sent)
            assert bob.open_direct(message) == "across processes"
            bob.emit("message_ack", {"conversation_id": conversation_id, "message_id": message["id"], "status": "read"})
            assert alice.expect("message_ack", user_id=bob.id, status="read")["message_id"] == message["id"]

            bob.ws.close()
            assert alice.expect("presence", user_id=bob.id, online=False)
        finally:
            alice.close()
            bob.close()
    for instance in (first, second):
        instance.extensions["dreamdot.broker"].close()
        with instance.app_context():  # its pools' connections, closed rather than left to the collector
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_presence_of_a_vanished_process_expires(store, redis_url):
    presence = MemoryPresence() if store == "memory" else RedisPresence(redis_url, f"dreamdot-test-{os.getpid()}:")
    assert presence.touch(41, "conn-a", ttl=1) is True  # came online
    assert presence.touch(41, "conn-b", ttl=1) is False  # a second tab
    assert presence.online([41, 42]) == {41}
    assert presence.drop(41, "conn-a") is False  # still one tab open
    # The process holding conn-b dies without a word: no drop, no heartbeat.
    time.sleep(1.2)
    assert presence.online([41]) == set()
