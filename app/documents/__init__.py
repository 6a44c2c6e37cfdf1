"""MongoDB documents (mongoengine), touched only by services."""

from __future__ import annotations

from app.documents.chat import (
    ChatKey,
    ChatMember,
    Conversation,
    KeyBackup,
    KeyEnvelope,
    KeyVerification,
    MediaBlob,
    Message,
)
from app.documents.items import ItemContent
from app.documents.payments import PaymentEvent

DOCUMENTS = (ChatKey, KeyBackup, Conversation, ChatMember, KeyEnvelope, Message, MediaBlob, KeyVerification,
             ItemContent, PaymentEvent)


def prepare_collections() -> None:
    """Create every collection with its indexes (each document declares at least one), before
    serving: `flask db upgrade`, the release step, runs it (migrations/env.py). Made lazily by
    the first requests instead, concurrent creations of one collection can stall a server."""
    for document in DOCUMENTS:
        document.ensure_indexes()
