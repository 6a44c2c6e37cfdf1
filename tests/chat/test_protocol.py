"""Two and three PyNaCl clients on the real websocket of a running app."""

from __future__ import annotations

import threading
import time

import mongoengine

from app.documents.chat import Message
from app.extensions import db
from app.models.social import Block
from tests.chat.peers import b64


def test_direct_message_decrypts_on_the_other_side_with_acks(make_peer):
    alice, bob = make_peer(), make_peer()
    conversation_id = alice.direct_with(bob.id)
    client_msg_id = alice.send_direct(conversation_id, bob.id, "hello bob")

    stored = alice.expect("message_ack", client_msg_id=client_msg_id, status="stored")
    received = bob.expect("message", client_msg_id=client_msg_id)
    assert received["id"] == stored["message_id"]
    assert bob.open_direct(received) == "hello bob"
    assert alice.open_direct(alice.expect("message", client_msg_id=client_msg_id)) == "hello bob"

    reply_id = bob.send_direct(conversation_id, alice.id, "hi alice")
    assert alice.open_direct(alice.expect("message", client_msg_id=reply_id)) == "hi alice"

    for status in ("delivered", "read"):
        bob.emit("message_ack", {"conversation_id": conversation_id, "message_id": received["id"], "status": status})
        ack = alice.expect("message_ack", status=status, user_id=bob.id)
        assert ack == {**ack, "conversation_id": conversation_id, "message_id": received["id"]}


def test_the_same_client_msg_id_is_stored_once(make_peer):
    alice, bob = make_peer(), make_peer()
    conversation_id = alice.direct_with(bob.id)
    alice.send_direct(conversation_id, bob.id, "once", client_msg_id="c-1")
    first = alice.expect("message_ack", client_msg_id="c-1")
    alice.send_direct(conversation_id, bob.id, "once", client_msg_id="c-1")
    second = alice.expect("message_ack", client_msg_id="c-1")
    assert first["message_id"] == second["message_id"]
    bob.expect("message", client_msg_id="c-1")
    assert bob.quiet("message", client_msg_id="c-1")
    assert Message.objects(client_msg_id="c-1").count() == 1


def test_typing_and_presence(make_peer):
    alice, bob = make_peer(), make_peer(connect=False)
    conversation_id = alice.direct_with(bob.id)
    bob.connect()
    assert alice.expect("presence", user_id=bob.id)["online"] is True
    assert bob.expect("presence", user_id=alice.id)["online"] is True

    bob.emit("typing", {"conversation_id": conversation_id, "is_typing": True})
    typing = alice.expect("typing", user_id=bob.id)
    assert typing == {"conversation_id": conversation_id, "user_id": bob.id, "is_typing": True}
    assert bob.quiet("typing", wait=0.3)  # not echoed to the typist

    bob.ws.close()
    assert alice.expect("presence", user_id=bob.id, online=False)["online"] is False


def test_offline_messages_are_counted_and_fetched_after_a_cursor(make_peer):
    alice, bob = make_peer(), make_peer(connect=False)
    conversation_id = alice.direct_with(bob.id)
    ids = [alice.send_direct(conversation_id, bob.id, f"note {i}") for i in range(3)]
    acks = [alice.expect("message_ack", client_msg_id=c)["message_id"] for c in ids]

    listing = bob.http.get("/api/chat/conversations").json()["conversations"]
    assert [(c["id"], c["unread"]) for c in listing] == [(conversation_id, 3)]
    page = bob.http.get(f"/api/chat/conversations/{conversation_id}/messages", params={"after": acks[0]}).json()
    assert [bob.open_direct(m) for m in page["messages"]] == ["note 1", "note 2"]

    bob.connect()
    bob.emit("message_ack", {"conversation_id": conversation_id, "message_id": acks[2], "status": "read"})
    alice.expect("message_ack", user_id=bob.id, status="read")
    assert bob.http.get("/api/chat/conversations").json()["conversations"][0]["unread"] == 0


def test_a_non_member_gets_error_not_messages(make_peer):
    alice, bob, carol = make_peer(), make_peer(), make_peer()
    conversation_id = alice.direct_with(bob.id)
    carol.send_direct(conversation_id, bob.id, "let me in", client_msg_id="intruder")
    assert carol.expect("error", client_msg_id="intruder")["code"] == "not_member"
    carol.emit("typing", {"conversation_id": conversation_id, "is_typing": True})
    assert carol.expect("error", event="typing")["code"] == "not_member"
    assert carol.http.get(f"/api/chat/conversations/{conversation_id}/messages").status_code == 403
    assert bob.quiet("typing", wait=0.3)
    assert Message.objects(client_msg_id="intruder").count() == 0


def test_a_blocked_pair_cannot_message(make_peer):
    alice, bob = make_peer(), make_peer()
    conversation_id = alice.direct_with(bob.id)
    alice.key_of(bob.id)
    db.session.add(Block(blocker_id=bob.id, blocked_id=alice.id))
    db.session.commit()
    alice.send_direct(conversation_id, bob.id, "are you there", client_msg_id="blocked-1")
    assert alice.expect("error", client_msg_id="blocked-1")["code"] == "blocked"
    assert bob.quiet("message")
    assert Message.objects.count() == 0


def test_media_blob_is_readable_by_members_only(make_peer):
    alice, bob, carol = make_peer(), make_peer(), make_peer()
    conversation_id = alice.direct_with(bob.id)
    blob = alice.http.post("/api/chat/media", files={"blob": ("blob", b"\x01" * 100, "application/octet-stream")})
    assert blob.status_code == 201
    blob_id = blob.json()["blob_id"]
    assert bob.http.get(f"/api/chat/media/{blob_id}").status_code == 404
    alice.emit("send_message", {"conversation_id": conversation_id, "client_msg_id": "m1", "nonce": "A" * 32,
                                "ciphertext": "B" * 40, "epoch": 0, "blob_ids": [blob_id]})
    alice.expect("message_ack", client_msg_id="m1")
    assert bob.http.get(f"/api/chat/media/{blob_id}").content == b"\x01" * 100
    assert carol.http.get(f"/api/chat/media/{blob_id}").status_code == 404


def test_a_block_stops_a_connection_that_already_sent_messages(make_peer):
    """The connection remembers a 1-on-1's members, never whether the pair may talk."""
    alice, bob = make_peer(), make_peer()
    conversation_id = alice.direct_with(bob.id)
    alice.send_direct(conversation_id, bob.id, "before", client_msg_id="before-block")
    bob.expect("message", client_msg_id="before-block")
    db.session.add(Block(blocker_id=bob.id, blocked_id=alice.id))
    db.session.commit()
    alice.send_direct(conversation_id, bob.id, "after", client_msg_id="after-block")
    assert alice.expect("error", client_msg_id="after-block")["code"] == "blocked"
    assert bob.quiet("message", client_msg_id="after-block")
    assert Message.objects(client_msg_id="after-block").count() == 0
    # A resend of what was stored before the block is acknowledged as stored, not relayed again.
    first = alice.expect("message_ack", client_msg_id="before-block")
    alice.send_direct(conversation_id, bob.id, "before", client_msg_id="before-block")
    assert alice.expect("message_ack", client_msg_id="before-block")["message_id"] == first["message_id"]
    assert bob.quiet("message", client_msg_id="before-block")


def test_a_stored_message_is_the_document_the_model_describes(make_peer):
    """The relay writes through pymongo: the same fields mongoengine would write."""
    alice, bob = make_peer(), make_peer()
    conversation_id = alice.direct_with(bob.id)
    for n in (1, 2):
        alice.send_direct(conversation_id, bob.id, f"hello {n}", client_msg_id=f"shape-{n}")
        bob.expect("message", client_msg_id=f"shape-{n}")
    raw = mongoengine.get_db()["chat_messages"].find_one({"client_msg_id": "shape-2"})
    stored = Message.objects.get(client_msg_id="shape-2")
    assert set(raw) == {"_id", *stored.to_mongo()}
    assert (stored.seq, stored.sender_id, stored.epoch, stored.blob_ids) == (2, alice.id, 0, [])
    # A duplicate draws a seq it never uses: the next message still comes after.
    alice.send_direct(conversation_id, bob.id, "hello 2", client_msg_id="shape-2")
    alice.send_direct(conversation_id, bob.id, "hello 3", client_msg_id="shape-3")
    assert bob.expect("message", client_msg_id="shape-3")["seq"] > 2
    assert [m.client_msg_id for m in Message.objects.order_by("seq")] == ["shape-1", "shape-2", "shape-3"]
    assert stored.sender_key == b64(bytes(alice.secret.public_key))
    assert stored.recipient_key == b64(bytes(bob.key_of(bob.id, cached=True)))


def test_a_closed_connection_leaves_no_forwarder_and_no_subscription(app, make_peer):
    """The forwarder waits on its queue without polling; closing wakes it to end."""
    from app.services.broker import broker

    def forwarders():
        return [t for t in threading.enumerate() if t.name.startswith("chat-forward-")]

    alice = make_peer()
    deadline = time.monotonic() + 5
    while not forwarders() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(forwarders()) == 1
    alice.close()
    deadline = time.monotonic() + 5
    while (forwarders() or broker().hub.subscriber_count()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert forwarders() == []
    assert broker().hub.subscriber_count() == 0
