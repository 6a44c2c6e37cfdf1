"""Public keys, sealed key backups, safety numbers and the "verified" marks.

The server keeps public keys and a passphrase-sealed backup; it never sees a secret key
or the passphrase."""

from __future__ import annotations

import hashlib

from flask import current_app

from app.documents.chat import ChatKey, KeyBackup, KeyVerification
from app.models.base import utcnow
from app.services.chat.encoding import KEY_BYTES, MAC_BYTES, NONCE_BYTES, decode_b64, encode_b64
from app.services.errors import Invalid, NotFound

SAFETY_LABEL = b"DreamDot safety number v1"


def fingerprint_of(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


def safety_number(key_a: bytes, key_b: bytes) -> str:
    """Sixty digits in twelve groups of five, the same whoever computes it (the browser's
    safety.js does the same): SHA-256 over the label and both keys sorted bytewise,
    extended by SHA-256 of that digest; each group is five bytes modulo 100,000."""
    first = hashlib.sha256(SAFETY_LABEL + b"".join(sorted((key_a, key_b)))).digest()
    material = first + hashlib.sha256(first).digest()
    groups = [int.from_bytes(material[i * 5:i * 5 + 5], "big") % 100_000 for i in range(12)]
    return " ".join(f"{g:05d}" for g in groups)


def register_public_key(user_id: int, public_key_b64) -> ChatKey:
    raw = decode_b64(public_key_b64, "public_key", length=KEY_BYTES)
    key = ChatKey.objects(user_id=user_id).first() or ChatKey(user_id=user_id)
    if key.public_key != encode_b64(raw):
        key.public_key = encode_b64(raw)
        key.fingerprint = fingerprint_of(raw)
        key.updated_at = utcnow()
        key.save()
    return key


def get_public_key(user_id: int) -> ChatKey:
    key = ChatKey.objects(user_id=user_id).first()
    if key is None:
        raise NotFound("This user has not set up chat yet.", code="no_chat_key")
    return key


def own_public_key(user_id: int) -> str:
    """The user's registered public key (base64), or "" before they set chat up: the page
    hands it to the browser, which then needs no lookup that may answer 404."""
    return public_keys_of([user_id]).get(user_id, "")


def public_keys_of(user_ids) -> dict[int, str]:
    return dict(ChatKey.objects(user_id__in=list(user_ids)).values_list("user_id", "public_key"))


def serialize_key(key: ChatKey) -> dict:
    return {"user_id": key.user_id, "public_key": key.public_key, "fingerprint": key.fingerprint,
            "updated_at": key.updated_at.isoformat() if key.updated_at else None}


def save_key_backup(user_id: int, data: dict) -> KeyBackup:
    """Keep the sealed secret key. The iteration count may not fall below the configured
    one, so a client cannot quietly weaken the passphrase's protection."""
    minimum = current_app.config["CHAT_PBKDF2_ITERATIONS"]
    iterations = data.get("iterations")
    if not isinstance(iterations, int) or isinstance(iterations, bool) or not minimum <= iterations <= 10_000_000:
        raise Invalid("iterations is out of range.", code="validation_failed",
                      fields={"iterations": f"At least {minimum:,}."})
    salt = decode_b64(data.get("salt"), "salt", min_bytes=16, max_bytes=64)
    nonce = decode_b64(data.get("nonce"), "nonce", length=NONCE_BYTES)
    sealed = decode_b64(data.get("ciphertext"), "ciphertext", length=KEY_BYTES + MAC_BYTES)
    backup = KeyBackup.objects(user_id=user_id).first() or KeyBackup(user_id=user_id)
    backup.salt, backup.iterations = encode_b64(salt), iterations
    backup.nonce, backup.ciphertext = encode_b64(nonce), encode_b64(sealed)
    backup.updated_at = utcnow()
    backup.save()
    return backup


def get_key_backup(user_id: int) -> KeyBackup:
    backup = KeyBackup.objects(user_id=user_id).first()
    if backup is None:
        raise NotFound("There is no key backup for this account.", code="no_key_backup")
    return backup


def serialize_backup(backup: KeyBackup) -> dict:
    return {"salt": backup.salt, "iterations": backup.iterations, "nonce": backup.nonce,
            "ciphertext": backup.ciphertext}


def mark_verified(user_id: int, contact_id: int) -> KeyVerification:
    """Record that `user_id` checked the safety number of the contact's current key."""
    key = get_public_key(contact_id)
    mark = KeyVerification.objects(user_id=user_id, contact_id=contact_id).first()
    mark = mark or KeyVerification(user_id=user_id, contact_id=contact_id)
    mark.fingerprint, mark.verified_at = key.fingerprint, utcnow()
    mark.save()
    return mark


def clear_verified(user_id: int, contact_id: int) -> None:
    KeyVerification.objects(user_id=user_id, contact_id=contact_id).delete()


def verification_state(user_id: int, contact_id: int) -> dict:
    """`verified` while the contact keeps the key that was checked; `key_changed` once the
    contact's key differs from the verified one."""
    key = ChatKey.objects(user_id=contact_id).first()
    mark = KeyVerification.objects(user_id=user_id, contact_id=contact_id).first()
    current = key.fingerprint if key else None
    return {
        "fingerprint": current,
        "verified": bool(mark and current and mark.fingerprint == current),
        "key_changed_since_verified": bool(mark and mark.fingerprint != current),
    }
