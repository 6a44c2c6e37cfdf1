"""Chat documents. Everything here is public material (public keys), metadata (who, when,
sizes) or ciphertext: no plaintext and no secret key ever reaches these collections.

Binary values (keys, nonces, ciphertexts) are kept as the base64 text the clients send."""

from __future__ import annotations

import mongoengine as me

from app.models.base import utcnow


class ChatKey(me.Document):
    """A user's X25519 public key (made in their browser)."""

    user_id = me.IntField(required=True, unique=True)
    public_key = me.StringField(required=True)
    fingerprint = me.StringField(required=True)
    updated_at = me.DateTimeField(default=utcnow)
    meta = {"collection": "chat_keys"}


class KeyBackup(me.Document):
    """The secret key sealed with secretbox under a passphrase-derived key."""

    user_id = me.IntField(required=True, unique=True)
    salt = me.StringField(required=True)
    iterations = me.IntField(required=True)
    nonce = me.StringField(required=True)
    ciphertext = me.StringField(required=True)
    updated_at = me.DateTimeField(default=utcnow)
    meta = {"collection": "chat_key_backups"}


class Conversation(me.Document):
    """A 1-on-1 (`direct`, epoch 0 forever) or a community conversation (`community`,
    one per community, a new epoch whenever someone leaves)."""

    kind = me.StringField(required=True, choices=("direct", "community"))
    # `direct:<low id>:<high id>` or `community:<id>`: one conversation per pair or community.
    key = me.StringField(required=True, unique=True)
    member_ids = me.ListField(me.IntField())
    community_id = me.IntField()
    community_slug = me.StringField()
    title = me.StringField()
    epoch = me.IntField(default=0)
    last_seq = me.IntField(default=0)
    created_at = me.DateTimeField(default=utcnow)
    last_message_at = me.DateTimeField()
    # Members with a message from someone else they have not read: the navigation counts
    # these conversations with one indexed count (app/services/chat/unread.py).
    unread_ids = me.ListField(me.IntField())
    meta = {"collection": "chat_conversations", "indexes": ["member_ids", "unread_ids"]}


class ChatMember(me.Document):
    """A member's reading state in one conversation (for ticks and unread counts)."""

    conversation_id = me.StringField(required=True)
    user_id = me.IntField(required=True)
    delivered_seq = me.IntField(default=0)
    read_seq = me.IntField(default=0)
    meta = {
        "collection": "chat_members",
        "indexes": [{"fields": ["conversation_id", "user_id"], "unique": True}],
    }


class KeyEnvelope(me.Document):
    """An epoch key of a community conversation, wrapped with box for one member."""

    conversation_id = me.StringField(required=True)
    epoch = me.IntField(required=True)
    member_id = me.IntField(required=True)
    sender_id = me.IntField(required=True)
    sender_public_key = me.StringField(required=True)
    nonce = me.StringField(required=True)
    wrapped_key = me.StringField(required=True)
    created_at = me.DateTimeField(default=utcnow)
    meta = {
        "collection": "chat_key_envelopes",
        "indexes": [{"fields": ["conversation_id", "epoch", "member_id"], "unique": True}],
    }


class Message(me.Document):
    conversation_id = me.StringField(required=True)
    seq = me.IntField(required=True)
    sender_id = me.IntField(required=True)
    client_msg_id = me.StringField(required=True)
    nonce = me.StringField(required=True)
    ciphertext = me.StringField(required=True)
    epoch = me.IntField(default=0)
    # The public keys box used (1-on-1), so history still opens after a key change.
    sender_key = me.StringField()
    recipient_key = me.StringField()
    blob_ids = me.ListField(me.StringField())
    created_at = me.DateTimeField(default=utcnow)
    meta = {
        "collection": "chat_messages",
        "indexes": [
            {"fields": ["conversation_id", "sender_id", "client_msg_id"], "unique": True},
            {"fields": ["conversation_id", "seq"]},
        ],
    }


class MediaBlob(me.Document):
    """An encrypted file in the media storage; only ciphertext is stored."""

    uploader_id = me.IntField(required=True)
    storage_key = me.StringField(required=True)
    size = me.IntField(required=True)
    conversation_ids = me.ListField(me.StringField())
    created_at = me.DateTimeField(default=utcnow)
    meta = {"collection": "chat_media_blobs", "indexes": ["uploader_id"]}


class KeyVerification(me.Document):
    """`user_id` compared safety numbers with `contact_id` while the contact's key had
    this fingerprint."""

    user_id = me.IntField(required=True)
    contact_id = me.IntField(required=True)
    fingerprint = me.StringField(required=True)
    verified_at = me.DateTimeField(default=utcnow)
    meta = {
        "collection": "chat_key_verifications",
        "indexes": [{"fields": ["user_id", "contact_id"], "unique": True}],
    }
