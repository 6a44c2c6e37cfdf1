"""Item files in storage: streamed uploads within a size limit, and short-lived signed
URLs bound to one user and one key, issued only after the access check."""

from __future__ import annotations

import mimetypes
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.services.errors import NotAllowed, NotFound, TooLarge
from app.services.media import storage
from app.services.media.storage import new_name
from app.services.names import one_line_name

CHUNK = 1024 * 1024
FILE_URL_PREFIX = "/items/files"  # served by the items blueprint


def too_large(limit: int, field: str) -> TooLarge:
    return TooLarge(f"The file is larger than {limit // (1024 * 1024) or 1} MB.", code="file_too_large",
                    fields={field: f"Files may be at most {limit // (1024 * 1024) or 1} MB."})


def save_stream(folder: str, upload: BinaryIO, extension: str, content_type: str, *,
                limit: int, field: str) -> tuple[str, int]:
    """Copy an upload into storage in chunks, refusing it past `limit` bytes; (key, size).
    Local storage never holds the whole file in memory; a refused file leaves nothing."""
    store = storage()
    if store.mode != "local":
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise too_large(limit, field)
        return store.save(folder, data, extension, content_type), len(data)
    key = new_name(folder, extension)
    path = store.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".{secrets.token_hex(4)}.part")
    size = 0
    try:
        with open(tmp, "wb") as out:
            while chunk := upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit, field)
                out.write(chunk)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return key, size


def delete_keys(keys) -> None:
    for key in keys:
        if key:
            try:
                storage().delete(key)
            except Exception:  # noqa: BLE001 - cleaning up after a failure must not mask it
                current_app.logger.warning("could not delete %s", key)


def safe_filename(name: str | None, default: str = "file") -> str:
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = one_line_name(re.sub(r"[\x00-\x1f\x7f\"]", "", name)).lstrip(".")
    return name[:200] or default


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="dreamdot.item-file")


def signed_file_url(viewer_id: int | None, item_id: int, key: str, name: str, *, inline: bool = False) -> str:
    """Call only after the access check: a URL for this viewer and this key, valid for
    SIGNED_URL_TTL_SECONDS."""
    token = _serializer().dumps({"u": viewer_id or 0, "i": item_id, "k": key, "n": name, "d": int(inline)})
    return f"{FILE_URL_PREFIX}/{token}"


@dataclass(frozen=True)
class SignedFile:
    item_id: int
    key: str
    name: str
    inline: bool


def open_signed_url(token: str, viewer_id: int | None) -> SignedFile:
    """A guessed or tampered token, or another user's: 404. An expired one: 403."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["SIGNED_URL_TTL_SECONDS"])
    except SignatureExpired:
        raise NotAllowed("This link has expired. Open the item again for a fresh one.", code="link_expired") from None
    except BadSignature:
        raise NotFound("No such file.") from None
    if not isinstance(data, dict) or data.get("u") != (viewer_id or 0):
        raise NotFound("No such file.")
    return SignedFile(data["i"], data["k"], data["n"], bool(data.get("d")))


def content_disposition(name: str, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback and the exact name as filename*."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", fallback).strip() or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
