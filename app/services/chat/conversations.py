"""Conversations: 1-on-1 (box per message, epoch 0) and one per community (secretbox
under a per-epoch key that members' browsers wrap for each other with box).

The server never holds an epoch key. When a member leaves, the epoch advances and the
members' open connections receive `key_request` with `rotate: true`: the first browser
to answer makes a fresh key and wraps it for everyone left. When someone joins, the
members holding the current key receive `key_request` naming the newcomer, who sees
"waiting for keys" until one of them answers."""

from __future__ import annotations

import mongoengine as me
from bson import ObjectId

from app.documents.chat import ChatMember, Conversation, KeyEnvelope, Message
from app.extensions import db
from app.models import User
from app.services.chat import communities
from app.services.chat.encoding import KEY_BYTES, MAC_BYTES, NONCE_BYTES, decode_b64, encode_b64
from app.services.chat.events import publish_to_users
from app.services.chat.keys import get_public_key
from app.services.chat.policies import is_conversation_member
from app.services.chat.unread import settle_mark
from app.services.errors import Conflict, Invalid, NotAllowed, NotFound
from app.services.ids import MAX_ID
from app.services.numbers import to_int
from app.services.social.blocks import is_blocked_between

MAX_KEYS_PER_PUT = 1000


def get_conversation(conversation_id, user_id: int) -> Conversation:
    """The conversation, for a member only (NotFound / NotAllowed otherwise)."""
    if not isinstance(conversation_id, str) or not ObjectId.is_valid(conversation_id):
        raise NotFound("No such conversation.")
    conversation = Conversation.objects(id=conversation_id).first()
    if conversation is None:
        raise NotFound("No such conversation.")
    if not is_conversation_member(user_id, conversation):
        raise NotAllowed("You are not a member of this conversation.", code="not_member")
    if conversation.kind == "community" and not communities.is_community_member(
        conversation.community_id, user_id
    ):
        raise NotAllowed("You are not a member of this conversation.", code="not_member")
    return conversation


def start_direct_conversation(user_id: int, other_id) -> tuple[Conversation, bool]:
    """The pair's one conversation, made on first use. Hidden (404) across a block."""
    other_id = to_int(other_id, minimum=1, maximum=MAX_ID, strings=False)
    if other_id is None or other_id == user_id:
        raise Invalid("Name one other member.", code="validation_failed",
                      fields={"member_ids": "One id other than yours."})
    other = db.session.get(User, other_id)
    if other is None or other.is_suspended or is_blocked_between(user_id, other_id):
        raise NotFound("No such user.")
    low, high = sorted((user_id, other_id))
    key = f"direct:{low}:{high}"
    existing = Conversation.objects(key=key).first()
    if existing:
        return existing, False
    conversation = Conversation(kind="direct", key=key, member_ids=[low, high], epoch=0)
    try:
        conversation.save()
    except me.NotUniqueError:
        return Conversation.objects(key=key).first(), False
    return conversation, True


def open_community_conversation(user_id: int, slug) -> tuple[Conversation, bool]:
    """The community's one conversation, for its members; made at epoch 1 on first use."""
    if not isinstance(slug, str) or not slug:
        raise NotFound("No such community.")
    community = communities.community_by_slug(slug)
    if community is None:
        raise NotFound("No such community.")
    if not communities.is_community_member(community.id, user_id):
        raise NotAllowed("Only members can chat in this community.", code="not_member")
    key = f"community:{community.id}"
    existing = Conversation.objects(key=key).first()
    if existing:
        if user_id not in existing.member_ids:  # a membership change the chat missed
            add_community_member(community.id, user_id)
            existing.reload()
        return existing, False
    conversation = Conversation(
        kind="community", key=key, community_id=community.id, community_slug=community.slug,
        title=community.name, member_ids=communities.community_member_ids(community.id), epoch=1,
    )
    try:
        conversation.save()
    except me.NotUniqueError:
        return Conversation.objects(key=key).first(), False
    return conversation, True


def list_conversations(user_id: int) -> list[Conversation]:
    return list(Conversation.objects(member_ids=user_id).order_by("-last_message_at", "-created_at"))


def member_state(conversation: Conversation) -> dict[int, ChatMember]:
    rows = ChatMember.objects(conversation_id=str(conversation.id))
    return {row.user_id: row for row in rows}


def unread_count(conversation: Conversation, user_id: int, state: dict | None = None) -> int:
    state = member_state(conversation) if state is None else state
    mine = state.get(user_id)
    return Message.objects(
        conversation_id=str(conversation.id), seq__gt=mine.read_seq if mine else 0, sender_id__ne=user_id
    ).count()


def serialize_conversation(conversation: Conversation, viewer_id: int) -> dict:
    state = member_state(conversation)
    unread = unread_count(conversation, viewer_id, state)
    settle_mark(conversation, viewer_id, unread)
    data = {
        "id": str(conversation.id),
        "kind": conversation.kind,
        "member_ids": list(conversation.member_ids),
        "epoch": conversation.epoch,
        "title": conversation.title,
        "community_slug": conversation.community_slug,
        "last_seq": conversation.last_seq,
        "last_message_at": conversation.last_message_at.isoformat() if conversation.last_message_at else None,
        "unread": unread,
        "read_seqs": {str(uid): row.read_seq for uid, row in state.items()},
        "delivered_seqs": {str(uid): row.delivered_seq for uid, row in state.items()},
    }
    if conversation.kind == "community":
        envelope = KeyEnvelope.objects(
            conversation_id=str(conversation.id), epoch=conversation.epoch, member_id=viewer_id
        ).first()
        data["waiting_for_keys"] = envelope is None
    return data


def list_envelopes(conversation: Conversation, user_id: int) -> list[dict]:
    """The viewer's wrapped keys, every epoch they were given one."""
    rows = KeyEnvelope.objects(conversation_id=str(conversation.id), member_id=user_id).order_by("epoch")
    return [
        {"epoch": r.epoch, "sender_id": r.sender_id, "sender_public_key": r.sender_public_key,
         "nonce": r.nonce, "wrapped_key": r.wrapped_key}
        for r in rows
    ]


def store_epoch_keys(user_id: int, conversation: Conversation, epoch, keys) -> int:
    """Keep the epoch key wrapped for the listed members. The first upload of an epoch
    must include the uploader's own copy; afterwards only a holder of the key hands it
    out, and only to members still lacking one (409 otherwise, e.g. a lost race)."""
    if conversation.kind != "community":
        raise Invalid("1-on-1 conversations use box per message; there are no epoch keys.",
                      code="no_epoch_keys")
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        raise Invalid("epoch must be a number.", code="validation_failed", fields={"epoch": "A number."})
    if epoch != conversation.epoch:
        raise Conflict("That epoch is not the current one.", code="stale_epoch")
    envelopes = _parse_envelopes(conversation, keys)
    conversation_id = str(conversation.id)
    holders = set(KeyEnvelope.objects(conversation_id=conversation_id, epoch=epoch).distinct("member_id"))
    if not holders and user_id not in envelopes:
        raise Invalid("A new epoch key must include your own copy.", code="validation_failed",
                      fields={"keys": "Include yourself."})
    if holders and user_id not in holders:
        raise Conflict("This epoch already has a key; use the copy given to you.", code="epoch_key_exists")
    if holders & set(envelopes):
        raise Conflict("Some members already hold this epoch's key.", code="epoch_key_exists")
    sender_key = get_public_key(user_id).public_key
    for member_id, (nonce, wrapped) in envelopes.items():
        try:
            KeyEnvelope(conversation_id=conversation_id, epoch=epoch, member_id=member_id, sender_id=user_id,
                        sender_public_key=sender_key, nonce=nonce, wrapped_key=wrapped).save()
        except me.NotUniqueError:
            continue  # another holder answered the same request first: the same key
    publish_to_users(envelopes.keys(), "key_ready", {"conversation_id": conversation_id, "epoch": epoch})
    return len(envelopes)


def _parse_envelopes(conversation: Conversation, keys) -> dict[int, tuple[str, str]]:
    if not isinstance(keys, list) or not keys or len(keys) > MAX_KEYS_PER_PUT:
        raise Invalid("keys must be a non-empty list.", code="validation_failed", fields={"keys": "A list."})
    envelopes = {}
    for item in keys:
        if not isinstance(item, dict):
            raise Invalid("Each key is an object.", code="validation_failed", fields={"keys": "Objects."})
        member_id = item.get("member_id")
        if not isinstance(member_id, int) or member_id not in conversation.member_ids:
            raise Invalid("Keys may be given only to members.", code="validation_failed",
                          fields={"member_id": "Not a member."})
        nonce = decode_b64(item.get("nonce"), "nonce", length=NONCE_BYTES)
        wrapped = decode_b64(item.get("wrapped_key"), "wrapped_key", length=KEY_BYTES + MAC_BYTES)
        envelopes[member_id] = (encode_b64(nonce), encode_b64(wrapped))
    return envelopes


def request_missing_keys(conversation: Conversation) -> None:
    """Ask members' open connections for the keys some members lack (see module doc)."""
    if conversation.kind != "community":
        return
    conversation_id = str(conversation.id)
    holders = set(
        KeyEnvelope.objects(conversation_id=conversation_id, epoch=conversation.epoch).distinct("member_id")
    )
    missing = [m for m in conversation.member_ids if m not in holders]
    if not missing:
        return
    rotate = not holders
    ask = conversation.member_ids if rotate else list(holders & set(conversation.member_ids))
    publish_to_users(ask, "key_request", {"conversation_id": conversation_id, "epoch": conversation.epoch,
                                          "member_ids": missing, "rotate": rotate})


def add_community_member(community_id: int, user_id: int) -> None:
    conversation = Conversation.objects(key=f"community:{community_id}").first()
    if conversation is None or user_id in conversation.member_ids:
        return
    Conversation.objects(id=conversation.id).update_one(add_to_set__member_ids=user_id)
    conversation.reload()
    request_missing_keys(conversation)


def remove_community_member(community_id: int, user_id: int) -> None:
    """Someone left, was removed or banned: a new epoch whose key they never receive."""
    conversation = Conversation.objects(key=f"community:{community_id}").first()
    if conversation is None or user_id not in conversation.member_ids:
        return
    rotate_conversation_key(conversation, removed_id=user_id)


def rotate_conversation_key(conversation: Conversation, *, removed_id: int | None = None) -> Conversation:
    update = {"inc__epoch": 1}
    if removed_id is not None:
        update["pull__member_ids"] = removed_id
        update["pull__unread_ids"] = removed_id
    Conversation.objects(id=conversation.id).update_one(**update)
    conversation.reload()
    if removed_id is not None:
        publish_to_users([removed_id], "error", {"code": "removed", "message": "You left this conversation.",
                                                 "conversation_id": str(conversation.id)})
    request_missing_keys(conversation)
    return conversation


def touch_member(conversation_id: str, user_id: int) -> ChatMember:
    row = ChatMember.objects(conversation_id=conversation_id, user_id=user_id).first()
    if row is None:
        row = ChatMember(conversation_id=conversation_id, user_id=user_id)
        try:
            row.save()
        except me.NotUniqueError:
            row = ChatMember.objects(conversation_id=conversation_id, user_id=user_id).first()
    return row
