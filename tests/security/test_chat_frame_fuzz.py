"""Hypothesis on the chat frame handler (`ChatConnection.handle`, what the websocket calls
for every frame): arbitrary text, arbitrary JSON and frames that look almost right always
answer an `error` event or a valid result, never a crash (`server_error`), and a refused
frame stores nothing."""

from __future__ import annotations

import base64
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.blueprints.chat.ws import ChatConnection, TokenBucket
from app.documents.chat import Message
from app.extensions import db
from app.services import chat
from tests.factories import UserFactory, block

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20")) * 10


class FakeSocket:
    def __init__(self):
        self.sent: list[dict] = []

    def send(self, text: str) -> None:
        self.sent.append(json.loads(text))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


def frames(conversation_id: str):
    junk = json_values
    data = st.fixed_dictionaries({}, optional={
        "conversation_id": st.sampled_from([conversation_id, "0" * 24, "x", ""]) | junk,
        "client_msg_id": st.text(min_size=1, max_size=70) | junk,
        "nonce": st.sampled_from([b64(b"\0" * 24), b64(b"\0" * 23), "!!"]) | junk,
        "ciphertext": st.sampled_from([b64(b"\1" * 40), b64(b"\1" * 3), ""]) | junk,
        "epoch": st.sampled_from([0, 1, -1, None]) | junk,
        "is_typing": st.booleans() | junk,
        "message_id": st.sampled_from(["0" * 24, "nope"]) | junk,
        "status": st.sampled_from(["delivered", "read", "stored"]) | junk,
        "blob_ids": st.lists(st.text(max_size=24), max_size=3) | junk,
    })
    event = st.sampled_from(["send_message", "typing", "message_ack", "presence", ""]) | st.text(max_size=12)
    shaped = st.builds(lambda e, d: json.dumps({"event": e, "data": d}), event, data)
    return shaped | st.builds(json.dumps, json_values) | st.text(max_size=200)


def test_arbitrary_frames_answer_an_error_or_a_valid_result(app):
    sender, other, stranger = UserFactory(), UserFactory(), UserFactory()
    for user in (sender, other, stranger):
        chat.register_public_key(user.id, b64(bytes([user.id]) * 32))
    conversation, _ = chat.start_direct_conversation(sender.id, other.id)
    conversation_id = str(conversation.id)
    db.session.commit()
    sender_id = sender.id

    @given(frames(conversation_id))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(raw):
        socket = FakeSocket()
        connection = ChatConnection(socket, sender_id)
        connection.bucket = TokenBucket(1e9, 10**9)
        stored = Message.objects.count()
        connection.handle(raw)
        events = [f["event"] for f in socket.sent]
        errors = [f["data"] for f in socket.sent if f["event"] == "error"]
        assert all(e["code"] != "server_error" for e in errors), (raw, errors)
        for data in errors:
            assert isinstance(data["code"], str) and isinstance(data["message"], str)
        if errors:
            assert Message.objects.count() == stored, raw  # a refused frame stores nothing
        else:
            # A valid result: a stored (or already stored) message acknowledged, or a relay.
            assert events in ([], ["message_ack"]), (raw, socket.sent)
            if events:
                assert socket.sent[0]["data"]["status"] == "stored"

    run()


def test_a_blocked_pair_and_a_stranger_get_an_error_and_nothing_is_stored(app):
    sender, other, stranger = UserFactory(), UserFactory(), UserFactory()
    for user in (sender, other, stranger):
        chat.register_public_key(user.id, b64(bytes([user.id]) * 32))
    conversation, _ = chat.start_direct_conversation(sender.id, other.id)
    db.session.commit()
    good = {"conversation_id": str(conversation.id), "client_msg_id": "m1", "nonce": b64(b"\0" * 24),
            "ciphertext": b64(b"\1" * 40), "epoch": 0}
    ids = sender.id, other.id, stranger.id

    def send(user_id):
        socket = FakeSocket()
        ChatConnection(socket, user_id).handle(json.dumps({"event": "send_message", "data": good}))
        return socket.sent[-1]

    assert send(ids[2])["event"] == "error"  # a stranger
    assert send(ids[0])["event"] == "message_ack" and Message.objects.count() == 1
    assert send(ids[0])["event"] == "message_ack" and Message.objects.count() == 1  # stored once
    block(db.session.get(type(sender), ids[1]), db.session.get(type(sender), ids[0]))
    good["client_msg_id"] = "m2"
    reply = send(ids[0])
    assert reply["event"] == "error" and reply["data"]["code"] == "blocked"
    assert Message.objects.count() == 1
