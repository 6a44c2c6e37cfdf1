"""Messages: stored once per client_msg_id, relayed to every member's connections."""

from __future__ import annotations

from bson import ObjectId
from flask import current_app
from mongoengine.errors import NotUniqueError

from app.documents.chat import Conversation, MediaBlob, Message
from app.models.base import utcnow
from app.services.chat.conversations import get_conversation, touch_member
from app.services.chat.encoding import MAC_BYTES, NONCE_BYTES, decode_b64, encode_b64
from app.services.chat.events import publish_to_users
from app.services.chat.keys import public_keys_of
from app.services.chat.policies import can_send_direct
from app.services.chat.unread import mark_read, unread_update
from app.services.errors import Conflict, Invalid, NotAllowed, NotFound, ServiceError
from app.services.social.blocks import is_blocked_between, is_blocked_between_committed

MAX_CLIENT_MSG_ID = 64
MAX_BLOBS_PER_MESSAGE = 10
ACK_STATUSES = ("delivered", "read")


def serialize_message(message: Message) -> dict:
    return {
        "id": str(message.id),
        "conversation_id": message.conversation_id,
        "sender_id": message.sender_id,
        "client_msg_id": message.client_msg_id,
        "nonce": message.nonce,
        "ciphertext": message.ciphertext,
        "epoch": message.epoch,
        "created_at": message.created_at.isoformat(),
        "seq": message.seq,
        "sender_key": message.sender_key,
        "recipient_key": message.recipient_key,
    }


class SenderState:
    """What one connection has learned that cannot change, so its next messages skip the
    lookups: the members of a 1-on-1 conversation (fixed when it is made; community
    conversations change members and are looked up every time) and the conversations
    where the sender's reading-state row exists (rows are never deleted). Blocks, keys
    and the stored-once check are read on every message."""

    def __init__(self) -> None:
        self.direct: dict[str, tuple[int, ...]] = {}
        self.member_rows: set[str] = set()


def send_message(sender_id: int, data: dict, state: SenderState | None = None) -> tuple[dict, bool]:
    """Store a message (or find the one already stored under this client_msg_id) and,
    when new, relay it to every member. Returns (the serialized message, created).

    A message is stored once per (conversation, sender, client_msg_id) by the unique index:
    the insert is tried first and a duplicate answered with the stored message, so a new
    message costs no look-up; a duplicate leaves a gap in `seq`, which orders messages and
    is never counted."""
    state = state or SenderState()
    conversation_id = data.get("conversation_id")
    members = state.direct.get(conversation_id) if isinstance(conversation_id, str) else None
    if members is None:
        conversation = get_conversation(conversation_id, sender_id)
        conversation_id, members, epoch = str(conversation.id), tuple(conversation.member_ids), conversation.epoch
        if conversation.kind == "direct":
            state.direct[conversation_id] = members
    else:
        conversation, epoch = None, 0
    client_msg_id = data.get("client_msg_id")
    if not isinstance(client_msg_id, str) or not 1 <= len(client_msg_id) <= MAX_CLIENT_MSG_ID:
        raise Invalid("client_msg_id is required (up to 64 characters).", code="validation_failed",
                      fields={"client_msg_id": "Required."})
    identity = {"conversation_id": conversation_id, "sender_id": sender_id, "client_msg_id": client_msg_id}
    try:
        nonce = decode_b64(data.get("nonce"), "nonce", length=NONCE_BYTES)
        ciphertext = decode_b64(data.get("ciphertext"), "ciphertext", min_bytes=MAC_BYTES,
                                max_bytes=current_app.config["CHAT_MAX_CIPHERTEXT_BYTES"])
        if conversation is None or conversation.kind == "direct":
            keys = _check_direct_sender(members, sender_id, data.get("epoch"))
        else:
            keys = _check_group_sender(conversation, data.get("epoch"))
        blob_ids = _own_blobs(sender_id, data.get("blob_ids"))
    except ServiceError:
        # A resend of a message stored before (say, before a block or a key change) is
        # acknowledged as it was; only new messages must pass today's checks.
        existing = Message.objects(**identity).first()
        if existing:
            return serialize_message(existing), False
        raise
    now = utcnow()
    counter = Conversation.objects(id=conversation_id).only("last_seq").modify(
        inc__last_seq=1, set__last_message_at=now, **unread_update(members, sender_id), new=True)
    if counter is None:  # deleted meanwhile
        raise NotFound("No such conversation.")
    stored = Message(**identity, seq=counter.last_seq, nonce=encode_b64(nonce), ciphertext=encode_b64(ciphertext),
                     epoch=epoch, **keys, blob_ids=blob_ids, created_at=now)
    try:
        stored.save(force_insert=True)
    except NotUniqueError:  # stored before: the unique index says so (the seq drawn stays unused)
        return serialize_message(Message.objects(**identity).first()), False
    if blob_ids:
        MediaBlob.objects(id__in=blob_ids).update(add_to_set__conversation_ids=conversation_id)
    if conversation_id not in state.member_rows:
        touch_member(conversation_id, sender_id)
        state.member_rows.add(conversation_id)
    message = serialize_message(stored)
    publish_to_users(members, "message", message)
    return message, True


def _check_direct_sender(members: tuple[int, ...], sender_id: int, epoch) -> dict:
    other = next(m for m in members if m != sender_id)
    if not can_send_direct(sender_id, other, blocked=is_blocked_between_committed(sender_id, other)):
        raise NotAllowed("You cannot message this person.", code="blocked")
    if epoch not in (None, 0):
        raise Invalid("1-on-1 messages have epoch 0.", code="validation_failed", fields={"epoch": "Use 0."})
    keys = public_keys_of([sender_id, other])
    if sender_id not in keys or other not in keys:
        raise Conflict("Both people need chat keys first.", code="no_chat_key")
    return {"sender_key": keys[sender_id], "recipient_key": keys[other]}


def _check_group_sender(conversation: Conversation, epoch) -> dict:
    if epoch != conversation.epoch:
        raise Conflict("The conversation moved to a new key epoch.", code="stale_epoch")
    return {}


def _own_blobs(sender_id: int, blob_ids) -> list[str]:
    """Media referenced by the message: the server learns only that a blob belongs to the
    conversation, so that its members (and nobody else) may fetch the ciphertext."""
    if blob_ids in (None, []):
        return []
    if not isinstance(blob_ids, list) or len(blob_ids) > MAX_BLOBS_PER_MESSAGE or not all(
        isinstance(b, str) and ObjectId.is_valid(b) for b in blob_ids
    ):
        raise Invalid("blob_ids must be a short list of ids.", code="validation_failed", fields={"blob_ids": "Ids."})
    found = MediaBlob.objects(id__in=blob_ids, uploader_id=sender_id).count()
    if found != len(set(blob_ids)):
        raise NotFound("No such media.")
    return list(dict.fromkeys(blob_ids))


def list_messages(user_id: int, conversation_id, *, after=None, limit=50) -> list[Message]:
    """Messages in order, those after the message id `after` (the offline catch-up)."""
    conversation = get_conversation(conversation_id, user_id)
    query = Message.objects(conversation_id=str(conversation.id))
    if after:
        anchor = _message_in(conversation, after)
        query = query.filter(seq__gt=anchor.seq)
    return list(query.order_by("seq").limit(limit))


def _message_in(conversation: Conversation, message_id) -> Message:
    if not isinstance(message_id, str) or not ObjectId.is_valid(message_id):
        raise NotFound("No such message.")
    message = Message.objects(id=message_id, conversation_id=str(conversation.id)).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def acknowledge_message(user_id: int, data: dict) -> dict:
    """A member received or read messages up to `message_id`: remember it (ticks and
    unread counts) and tell the members."""
    conversation = get_conversation(data.get("conversation_id"), user_id)
    status = data.get("status")
    if status not in ACK_STATUSES:
        raise Invalid("status is delivered or read.", code="validation_failed", fields={"status": "delivered or read."})
    message = _message_in(conversation, data.get("message_id"))
    member = touch_member(str(conversation.id), user_id)
    field = "read_seq" if status == "read" else "delivered_seq"
    member.__class__.objects(id=member.id, **{f"{field}__lt": message.seq}).update_one(**{f"set__{field}": message.seq})
    if status == "read":
        member.__class__.objects(id=member.id, delivered_seq__lt=message.seq).update_one(set__delivered_seq=message.seq)
        mark_read(conversation, user_id, message.seq)
    ack = {"conversation_id": str(conversation.id), "message_id": str(message.id), "user_id": user_id,
           "status": status, "seq": message.seq}
    publish_to_users(conversation.member_ids, "message_ack", ack)
    return ack


def relay_typing(user_id: int, data: dict) -> None:
    conversation = get_conversation(data.get("conversation_id"), user_id)
    is_typing = data.get("is_typing")
    if not isinstance(is_typing, bool):
        raise Invalid("is_typing is true or false.", code="validation_failed", fields={"is_typing": "A boolean."})
    if conversation.kind == "direct":
        other = next(m for m in conversation.member_ids if m != user_id)
        if is_blocked_between(user_id, other):
            raise NotAllowed("You cannot message this person.", code="blocked")
    others = [m for m in conversation.member_ids if m != user_id]
    publish_to_users(others, "typing", {"conversation_id": str(conversation.id), "user_id": user_id,
                                        "is_typing": is_typing})
