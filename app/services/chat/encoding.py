"""Checking the base64 values clients send: keys, nonces and ciphertexts must have the
lengths NaCl gives them, so nothing malformed is ever stored or relayed."""

from __future__ import annotations

import base64
import binascii

from app.services.errors import Invalid

KEY_BYTES = 32  # X25519 public keys and secretbox keys
NONCE_BYTES = 24  # box and secretbox nonces
MAC_BYTES = 16  # the Poly1305 tag box and secretbox add


def decode_b64(value, field: str, *, length: int | None = None, max_bytes: int | None = None,
               min_bytes: int = 1) -> bytes:
    """The bytes of a standard base64 string, or Invalid naming the field."""
    if not isinstance(value, str) or not value:
        raise _bad(field, "Required, as base64 text.")
    if max_bytes is not None and len(value) > (max_bytes + 2) // 3 * 4 + 4:
        raise _bad(field, "Too long.")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(field, "Not valid base64.") from None
    if length is not None and len(raw) != length:
        raise _bad(field, f"Must be {length} bytes.")
    if len(raw) < min_bytes or (max_bytes is not None and len(raw) > max_bytes):
        raise _bad(field, "Wrong size.")
    return raw


def encode_b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _bad(field: str, why: str) -> Invalid:
    return Invalid(f"{field}: {why}", code="validation_failed", fields={field: why})
