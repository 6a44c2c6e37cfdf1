"""Community conversations with three (then four) PyNaCl clients: per-epoch keys wrapped
by members' browsers, a new epoch when someone is removed, keys handed to a newcomer."""

from __future__ import annotations

import pytest
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from app.extensions import db
from app.services.communities import membership as memberships
from tests.chat.peers import unb64
from tests.factories import UserFactory
from tests.factories.communities import add_member, make_community


@pytest.fixture
def trio(make_peer):
    owner = UserFactory()
    community = make_community(owner)
    alice = make_peer(owner)
    bob, carol = make_peer(), make_peer()
    add_member(community, bob.user)
    add_member(community, carol.user)
    reply = alice.http.post("/api/chat/conversations", json={"community_slug": community.slug})
    assert reply.status_code == 201, reply.text
    conversation = reply.json()["conversation"]
    assert conversation["kind"] == "community" and conversation["epoch"] == 1
    return community, conversation["id"], alice, bob, carol


def test_community_messages_decrypt_for_every_member(trio):
    _, conversation_id, alice, bob, carol = trio
    alice.make_epoch_key(conversation_id, 1, [alice.id, bob.id, carol.id])
    for peer in (bob, carol):
        peer.expect("key_ready", conversation_id=conversation_id, epoch=1)
        peer.fetch_epoch_keys(conversation_id)
    client_msg_id = alice.send_group(conversation_id, 1, "hello all")
    for peer in (alice, bob, carol):
        assert peer.open_group(peer.expect("message", client_msg_id=client_msg_id)) == "hello all"
    reply_id = carol.send_group(conversation_id, 1, "hi from carol")
    assert alice.open_group(alice.expect("message", client_msg_id=reply_id)) == "hi from carol"


def test_a_second_key_for_the_same_epoch_is_refused(trio):
    _, conversation_id, alice, bob, carol = trio
    first = alice.make_epoch_key(conversation_id, 1, [alice.id, bob.id, carol.id])
    reply = bob.put_epoch_key(conversation_id, 1, b"\x02" * 32, [alice.id, bob.id, carol.id])
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "epoch_key_exists"
    # Every member still unwraps the first key, so no one reads the epoch with another.
    for peer in (bob, carol):
        peer.fetch_epoch_keys(conversation_id)
        assert peer.epoch_keys[(conversation_id, 1)] == first


def test_removal_starts_an_epoch_the_removed_member_cannot_read(trio):
    community, conversation_id, alice, bob, carol = trio
    alice.make_epoch_key(conversation_id, 1, [alice.id, bob.id, carol.id])
    carol.fetch_epoch_keys(conversation_id)
    bob.fetch_epoch_keys(conversation_id)

    memberships.remove_member(community, alice.user, carol.id)
    db.session.commit()
    assert carol.expect("error", code="removed")["conversation_id"] == conversation_id
    request = alice.expect("key_request", conversation_id=conversation_id, epoch=2)
    assert request["rotate"] is True and sorted(request["member_ids"]) == sorted([alice.id, bob.id])
    bob.expect("key_request", conversation_id=conversation_id, epoch=2)

    alice.make_epoch_key(conversation_id, 2, request["member_ids"])
    bob.expect("key_ready", conversation_id=conversation_id, epoch=2)
    bob.fetch_epoch_keys(conversation_id)
    stale = bob.send_group(conversation_id, 1, "old key")
    assert bob.expect("error", client_msg_id=stale)["code"] == "stale_epoch"

    secret_id = alice.send_group(conversation_id, 2, "after carol left")
    message = bob.expect("message", client_msg_id=secret_id)
    assert bob.open_group(message) == "after carol left"
    assert carol.quiet("message", client_msg_id=secret_id)
    with pytest.raises(CryptoError):
        SecretBox(carol.epoch_keys[(conversation_id, 1)]).decrypt(unb64(message["ciphertext"]), unb64(message["nonce"]))
    assert (conversation_id, 2) not in carol.epoch_keys
    assert carol.http.get(f"/api/chat/conversations/{conversation_id}/keys").status_code == 403
    assert carol.http.get(f"/api/chat/conversations/{conversation_id}/messages").status_code == 403
    denied = carol.send_group(conversation_id, 1, "still here?")
    assert carol.expect("error", client_msg_id=denied)["code"] == "not_member"


def test_a_newcomer_waits_for_keys_until_a_member_browser_answers(trio, make_peer):
    community, conversation_id, alice, bob, carol = trio
    key = alice.make_epoch_key(conversation_id, 1, [alice.id, bob.id, carol.id])
    earlier = alice.send_group(conversation_id, 1, "before dave")
    alice.expect("message", client_msg_id=earlier)

    dave = make_peer()
    add_member(community, dave.user)
    # (a key_request with rotate=True may come first: greetings of connections that raced
    # the conversation's creation ask for the epoch key too)
    request = alice.expect("key_request", conversation_id=conversation_id, epoch=1, rotate=False)
    assert request == {**request, "member_ids": [dave.id], "rotate": False}
    state = dave.http.get(f"/api/chat/conversations/{conversation_id}").json()["conversation"]
    assert state["waiting_for_keys"] is True

    assert alice.put_epoch_key(conversation_id, 1, key, [dave.id]).status_code == 204
    dave.expect("key_ready", conversation_id=conversation_id, epoch=1)
    dave.fetch_epoch_keys(conversation_id)
    state = dave.http.get(f"/api/chat/conversations/{conversation_id}").json()["conversation"]
    assert state["waiting_for_keys"] is False
    history = dave.http.get(f"/api/chat/conversations/{conversation_id}/messages").json()["messages"]
    assert [dave.open_group(m) for m in history] == ["before dave"]


def test_non_members_cannot_open_the_community_conversation(trio, make_peer):
    community, conversation_id, *_ = trio
    outsider = make_peer()
    reply = outsider.http.post("/api/chat/conversations", json={"community_slug": community.slug})
    assert reply.status_code == 403
    outsider.emit("typing", {"conversation_id": conversation_id, "is_typing": True})
    assert outsider.expect("error")["code"] == "not_member"
