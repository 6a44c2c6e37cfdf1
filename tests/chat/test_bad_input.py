"""Bad input on the websocket and the chat API: an error or a refused handshake, and
nothing stored."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import websocket

from app.documents.chat import ChatKey, Message
from app.extensions import db
from app.models import AuthSession
from app.models.base import utcnow
from tests.chat.peers import b64


def nothing_stored():
    return Message.objects.count() == 0


@pytest.fixture
def pair(make_peer):
    alice, bob = make_peer(), make_peer()
    return alice, bob, alice.direct_with(bob.id)


def frame(conversation_id, **overrides):
    data = {"conversation_id": conversation_id, "client_msg_id": "x1", "nonce": b64(b"\0" * 24),
            "ciphertext": b64(b"\1" * 40), "epoch": 0}
    data.update(overrides)
    return data


@pytest.mark.parametrize("raw", ["{not json", "[]", '{"event": "send_message"}', '{"event": 5, "data": {}}',
                                 '{"event": "typing", "data": []}'])
def test_malformed_frames_get_invalid_frame(pair, raw):
    alice, _, _ = pair
    alice.ws.send(raw)
    assert alice.expect("error")["code"] == "invalid_frame"
    assert nothing_stored()


def test_binary_frame_gets_invalid_frame(pair):
    alice, _, _ = pair
    alice.ws.send_binary(b"\x00\x01")
    assert alice.expect("error")["code"] == "invalid_frame"


@pytest.mark.parametrize("raw", ["[" * 30_000, '{"event": "typing", "data": ' + "{\"a\":" * 10_000])
def test_deeply_nested_json_gets_invalid_frame_and_the_connection_lives_on(pair, raw):
    alice, bob, conversation_id = pair
    alice.ws.send(raw)
    error = alice.expect("error")
    assert error["code"] == "invalid_frame" and error["message"]
    assert alice.ws.connected and nothing_stored()
    assert bob.quiet("message", wait=0.2)
    client_msg_id = alice.send_direct(conversation_id, bob.id, "still here")
    assert alice.expect("message_ack", client_msg_id=client_msg_id)["status"] == "stored"
    assert bob.open_direct(bob.expect("message", client_msg_id=client_msg_id)) == "still here"
    assert Message.objects.count() == 1


def test_a_ten_megabyte_frame_is_refused(pair):
    alice, bob, conversation_id = pair
    huge = json.dumps({"event": "send_message", "data": frame(conversation_id, ciphertext="A" * (10 * 1024 * 1024))})
    with pytest.raises((websocket.WebSocketException, OSError)):
        alice.ws.settimeout(2)
        alice.ws.send(huge)
        while True:  # the server closes with 1009 (message too big)
            alice.ws.recv()
            if not alice.ws.connected:
                raise websocket.WebSocketConnectionClosedException("closed")
    assert nothing_stored()
    bob.emit("typing", {"conversation_id": conversation_id, "is_typing": False})  # the server lives on
    assert bob.quiet("error", wait=0.3)


def test_an_oversized_ciphertext_under_the_frame_limit_is_refused(app, pair):
    alice, _, conversation_id = pair
    alice.emit("send_message", frame(conversation_id, ciphertext=b64(b"\1" * (app.config["CHAT_MAX_CIPHERTEXT_BYTES"] + 1))))
    assert alice.expect("error", client_msg_id="x1")["code"] == "validation_failed"
    assert nothing_stored()


def test_an_unknown_event(pair):
    alice, _, _ = pair
    alice.emit("delete_everything", {})
    assert alice.expect("error")["code"] == "unknown_event"


def test_a_conversation_of_others(pair, make_peer):
    _, _, conversation_id = pair
    carol, dave = make_peer(), make_peer()
    carol.direct_with(dave.id)
    carol.emit("send_message", frame(conversation_id))
    assert carol.expect("error", client_msg_id="x1")["code"] == "not_member"
    carol.emit("send_message", frame("000000000000000000000000"))
    assert carol.expect("error", client_msg_id="x1")["code"] == "not_found"
    carol.emit("message_ack", {"conversation_id": conversation_id, "message_id": "0" * 24, "status": "read"})
    assert carol.expect("error", event="message_ack")["code"] == "not_member"
    assert nothing_stored()


@pytest.mark.parametrize("field, value", [
    ("nonce", b64(b"\0" * 23)), ("nonce", b64(b"\0" * 25)), ("nonce", "not base64!"),
    ("ciphertext", ""), ("ciphertext", b64(b"\1" * 8)), ("client_msg_id", ""), ("client_msg_id", "x" * 65),
    ("epoch", 3),
])
def test_wrong_fields_in_send_message(pair, field, value):
    alice, bob, conversation_id = pair
    alice.emit("send_message", frame(conversation_id, **{field: value}))
    assert alice.expect("error", event="send_message")["code"] == "validation_failed"
    assert bob.quiet("message", wait=0.2)
    assert nothing_stored()


@pytest.mark.parametrize("key", [b64(b"\0" * 31), b64(b"\0" * 33), "%%%", "", None, 42])
def test_wrong_length_public_keys_are_refused(make_peer, key):
    alice = make_peer(register=False, connect=False)
    reply = alice.http.put("/api/chat/keys", json={"public_key": key})
    assert reply.status_code == 400
    assert reply.json()["error"]["fields"] == {"public_key": reply.json()["error"]["fields"]["public_key"]}
    assert ChatKey.objects.count() == 0


def test_wrong_length_wrapped_keys_are_refused(make_peer):
    from tests.factories import UserFactory
    from tests.factories.communities import add_member, make_community

    owner = UserFactory()
    community = make_community(owner)
    alice = make_peer(owner, connect=False)
    conversation_id = alice.http.post("/api/chat/conversations", json={"community_slug": community.slug}).json()["conversation"]["id"]
    bad = {"member_id": owner.id, "nonce": b64(b"\0" * 24), "wrapped_key": b64(b"\0" * 47)}
    reply = alice.http.put(f"/api/chat/conversations/{conversation_id}/keys", json={"epoch": 1, "keys": [bad]})
    assert reply.status_code == 400
    bad = {"member_id": owner.id, "nonce": b64(b"\0" * 12), "wrapped_key": b64(b"\0" * 48)}
    assert alice.http.put(f"/api/chat/conversations/{conversation_id}/keys", json={"epoch": 1, "keys": [bad]}).status_code == 400
    assert add_member  # imported for symmetry with the other community tests


def test_a_foreign_origin_is_refused_at_the_handshake(make_peer, live_server):
    alice = make_peer(connect=False)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        alice.connect(origin="https://evil.example")
    assert refused.value.status_code == 403


def test_an_expired_token_is_refused_at_the_handshake(make_peer):
    alice = make_peer(connect=False)
    db.session.query(AuthSession).filter_by(user_id=alice.id).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        alice.connect()
    assert refused.value.status_code == 401


def test_a_garbage_token_and_no_credentials_are_refused(live_server):
    for query in ("?token=garbage", ""):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(f"{live_server.ws_url}/chat/ws{query}", origin=live_server.url, timeout=5)
        assert refused.value.status_code == 401


def test_a_client_sending_too_fast_is_slowed_then_refused(app, pair):
    alice, bob, conversation_id = pair
    app.config.update(CHAT_RATE_PER_SECOND=1, CHAT_RATE_BURST=2)
    try:
        alice.ws.close()
        alice.connect()
        started = time.monotonic()
        for _ in range(20):
            alice.emit("typing", {"conversation_id": conversation_id, "is_typing": True})
        assert alice.expect("error", timeout=15, code="rate_limited")
        assert time.monotonic() - started >= 2.0  # slowed first: five frames held back 0.5 s each
    finally:
        app.config.update(CHAT_RATE_PER_SECOND=10, CHAT_RATE_BURST=30)


def test_key_backup_below_the_iteration_floor_is_refused(make_peer):
    alice = make_peer(connect=False)
    body = {"salt": b64(b"s" * 16), "iterations": 1000, "nonce": b64(b"\0" * 24), "ciphertext": b64(b"\0" * 48)}
    assert alice.http.put("/api/chat/key-backup", json=body).status_code == 400
    assert alice.http.put("/api/chat/key-backup", json={**body, "iterations": 600_000}).json() == {**body, "iterations": 600_000}
    assert alice.http.get("/api/chat/key-backup").json()["iterations"] == 600_000
