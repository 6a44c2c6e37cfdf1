"""End-to-end encrypted chat: keys, conversations, messages, media, presence.

The server stores and relays public keys, metadata and ciphertext only."""

from app.services.chat.conversations import (
    get_conversation,
    list_conversations,
    list_envelopes,
    open_community_conversation,
    request_missing_keys,
    rotate_conversation_key,
    serialize_conversation,
    start_direct_conversation,
    store_epoch_keys,
)
from app.services.chat.keys import (
    clear_verified,
    get_key_backup,
    get_public_key,
    mark_verified,
    own_public_key,
    public_keys_of,
    register_public_key,
    safety_number,
    save_key_backup,
    serialize_backup,
    serialize_key,
    verification_state,
)
from app.services.chat.media import read_blob, upload_blob
from app.services.chat.messages import (
    acknowledge_message,
    list_messages,
    relay_typing,
    send_message,
    serialize_message,
)
from app.services.chat.tickets import issue_ticket, redeem_ticket

__all__ = [
    "issue_ticket", "redeem_ticket",
    "acknowledge_message", "clear_verified", "get_conversation", "get_key_backup", "get_public_key", "own_public_key", "public_keys_of",
    "list_conversations", "list_envelopes", "list_messages", "mark_verified", "open_community_conversation",
    "read_blob", "register_public_key", "relay_typing", "request_missing_keys", "rotate_conversation_key",
    "safety_number", "save_key_backup", "send_message", "serialize_backup", "serialize_conversation",
    "serialize_key", "serialize_message", "start_direct_conversation", "store_epoch_keys", "upload_blob",
    "verification_state",
]
