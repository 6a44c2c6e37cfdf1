"""The navigation's count of conversations with unread messages (app/services/chat/unread.py):
a message marks it for the others, reading up to the newest message unmarks it, and the chat
list puts a wrong mark right."""

from __future__ import annotations

import base64
import itertools

from app.documents.chat import Conversation
from app.extensions import db
from app.services import chat
from app.services.chat.conversations import rotate_conversation_key
from app.services.chat.unread import unread_conversation_count
from app.services.navigation import nav_summary
from tests.factories import UserFactory

_ids = itertools.count(1)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def with_key(user):
    chat.register_public_key(user.id, b64(bytes([user.id % 250 + 1]) * 32))
    return user


def send(sender, conversation, client_msg_id: str | None = None) -> dict:
    message, _ = chat.send_message(sender.id, {
        "conversation_id": str(conversation.id), "client_msg_id": client_msg_id or f"m-{next(_ids)}",
        "nonce": b64(b"\x01" * 24), "ciphertext": b64(b"\x02" * 40), "epoch": 0})
    return message


def read(reader, conversation, message: dict) -> None:
    chat.acknowledge_message(reader.id, {"conversation_id": str(conversation.id), "message_id": message["id"],
                                         "status": "read"})


def pair():
    alice, bob = with_key(UserFactory()), with_key(UserFactory())
    db.session.commit()
    conversation, _ = chat.start_direct_conversation(alice.id, bob.id)
    return alice, bob, conversation


def test_a_message_is_unread_for_the_others_until_they_read_the_newest():
    alice, bob, conversation = pair()
    first = send(alice, conversation)
    second = send(alice, conversation)
    assert unread_conversation_count(bob.id) == 1 and unread_conversation_count(alice.id) == 0
    assert nav_summary(bob).unread_chats == 1

    read(bob, conversation, first)  # not the newest yet
    assert unread_conversation_count(bob.id) == 1
    read(bob, conversation, second)
    assert unread_conversation_count(bob.id) == 0

    reply = send(bob, conversation)  # bob's own message marks only alice
    assert unread_conversation_count(bob.id) == 0 and unread_conversation_count(alice.id) == 1
    read(alice, conversation, reply)
    assert unread_conversation_count(alice.id) == 0


def test_conversations_are_counted_once_each():
    alice, bob, first = pair()
    carol = with_key(UserFactory())
    db.session.commit()
    second, _ = chat.start_direct_conversation(carol.id, bob.id)
    for _ in range(3):
        send(alice, first)
    send(carol, second)
    assert unread_conversation_count(bob.id) == 2


def test_a_resend_after_reading_is_put_right_by_the_chat_list():
    alice, bob, conversation = pair()
    message = send(alice, conversation, "same")
    read(bob, conversation, message)
    send(alice, conversation, "same")  # stored once; the counter's update marked bob again
    assert chat.serialize_conversation(Conversation.objects.get(id=conversation.id), bob.id)["unread"] == 0
    assert unread_conversation_count(bob.id) == 0


def test_the_chat_list_marks_a_conversation_from_before_the_mark():
    alice, bob, conversation = pair()
    send(alice, conversation)
    Conversation.objects(id=conversation.id).update_one(set__unread_ids=[])
    assert unread_conversation_count(bob.id) == 0
    assert chat.serialize_conversation(Conversation.objects.get(id=conversation.id), bob.id)["unread"] == 1
    assert unread_conversation_count(bob.id) == 1


def test_a_member_removed_from_a_community_conversation_loses_the_mark():
    alice, bob = with_key(UserFactory()), with_key(UserFactory())
    conversation = Conversation(kind="community", key=f"community:{next(_ids)}", member_ids=[alice.id, bob.id],
                                unread_ids=[bob.id], epoch=1)
    conversation.save()
    rotate_conversation_key(conversation, removed_id=bob.id)
    assert unread_conversation_count(bob.id) == 0
