"""Encrypted media: the browser uploads secretbox ciphertext only; the key and nonce
travel inside an encrypted message. The server stores opaque bytes."""

from __future__ import annotations

from typing import BinaryIO

from bson import ObjectId
from flask import current_app

from app.documents.chat import Conversation, MediaBlob
from app.services.chat.encoding import MAC_BYTES
from app.services.errors import Invalid, NotFound
from app.services.media import read_limited, storage


def upload_blob(uploader_id: int, upload: BinaryIO | None) -> MediaBlob:
    if upload is None:
        raise Invalid("Attach the encrypted file as `blob`.", code="validation_failed", fields={"blob": "Required."})
    limit = current_app.config["MAX_CHAT_MEDIA_BYTES"] + MAC_BYTES
    data = read_limited(upload, limit, "blob")
    if len(data) <= MAC_BYTES:
        raise Invalid("That is not an encrypted file.", code="validation_failed", fields={"blob": "Too short."})
    key = storage().save("chat", data, "bin", "application/octet-stream")
    blob = MediaBlob(uploader_id=uploader_id, storage_key=key, size=len(data))
    blob.save()
    return blob


def read_blob(user_id: int, blob_id) -> bytes:
    """The ciphertext, for its uploader or a member of a conversation that references it."""
    if not isinstance(blob_id, str) or not ObjectId.is_valid(blob_id):
        raise NotFound("No such media.")
    blob = MediaBlob.objects(id=blob_id).first()
    if blob is None or not _may_read(user_id, blob):
        raise NotFound("No such media.")
    return storage().read(blob.storage_key)


def _may_read(user_id: int, blob: MediaBlob) -> bool:
    if blob.uploader_id == user_id:
        return True
    return Conversation.objects(id__in=blob.conversation_ids, member_ids=user_id).count() > 0
