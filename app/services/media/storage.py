"""One storage service for every file DreamDot keeps: local files under MEDIA_ROOT by
default, ImageKit (its official SDK) when IMAGEKIT_PRIVATE_KEY and IMAGEKIT_URL_ENDPOINT
are set. Keys are opaque strings the caller stores; `public/` keys may be served to
anyone, every other key only through a signed URL issued after an access check."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import quote

import httpx
from flask import current_app, has_request_context, url_for
from imagekitio import ImageKit

from app.services.errors import NotFound

FILE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Storage(Protocol):
    mode: str

    def save(self, folder: str, data: bytes, extension: str, content_type: str) -> str: ...
    def read(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def public_url(self, key: str) -> str: ...


def new_name(folder: str, extension: str) -> str:
    folder = folder.strip("/")
    return f"{folder}/{secrets.token_urlsafe(16)}.{extension.lstrip('.')}"


def is_safe_key(key: str) -> bool:
    parts = PurePosixPath(key).parts
    return bool(parts) and not key.startswith("/") and ".." not in parts and "\\" not in key


class LocalStorage:
    mode = "local"

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not is_safe_key(key):
            raise NotFound("No such file.")
        return self.root / key

    def save(self, folder: str, data: bytes, extension: str, content_type: str) -> str:
        key = new_name(folder, extension)
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers never see half a file
        return key

    def read(self, key: str) -> bytes:
        path = self.path(key)
        if not path.is_file():
            raise NotFound("No such file.")
        return path.read_bytes()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def public_url(self, key: str) -> str:
        if has_request_context():
            return url_for("media.public", key=key)
        return f"/media/{quote(key)}"  # a CLI task or a test outside a request


class ImageKitStorage:
    """Keys look like `ik/<file id>/<path>`: the id deletes, the path builds the URL."""

    mode = "imagekit"

    def __init__(self, private_key: str, url_endpoint: str, api_base: str | None) -> None:
        kwargs = {"private_key": private_key, "max_retries": 2, "timeout": 30.0}
        if api_base:
            kwargs["base_url"] = api_base
        self.client = ImageKit(**kwargs)
        self.url_endpoint = url_endpoint.rstrip("/")

    def save(self, folder: str, data: bytes, extension: str, content_type: str) -> str:
        name = new_name(folder, extension)
        folder_path, file_name = name.rsplit("/", 1)
        result = self.client.files.upload(
            file=(file_name, data, content_type),
            file_name=file_name,
            folder="/" + folder_path,
            use_unique_file_name=False,
            is_private_file=not name.startswith("public/"),
        )
        if not result.file_id:
            raise RuntimeError("ImageKit accepted the upload but returned no file id")
        # ImageKit may adjust the name: its filePath is where the URL endpoint serves it.
        path = (result.file_path or name).lstrip("/")
        return f"ik/{result.file_id}/{path}"

    @staticmethod
    def _split(key: str) -> tuple[str, str]:
        parts = key.split("/", 2)
        if len(parts) != 3 or parts[0] != "ik" or not FILE_ID_RE.fullmatch(parts[1]) or not is_safe_key(parts[2]):
            raise NotFound("No such file.")
        return parts[1], parts[2]

    def read(self, key: str) -> bytes:
        _, path = self._split(key)
        response = httpx.get(f"{self.url_endpoint}/{path}", timeout=30.0)
        if response.status_code != 200:
            raise NotFound("No such file.")
        return response.content

    def delete(self, key: str) -> None:
        file_id, _ = self._split(key)
        self.client.files.delete(file_id)

    def public_url(self, key: str) -> str:
        _, path = self._split(key)
        return f"{self.url_endpoint}/{path}"


def init_storage(app) -> None:
    cfg = app.config
    if cfg.get("IMAGEKIT_PRIVATE_KEY") and cfg.get("IMAGEKIT_URL_ENDPOINT"):
        storage: Storage = ImageKitStorage(
            cfg["IMAGEKIT_PRIVATE_KEY"], cfg["IMAGEKIT_URL_ENDPOINT"], cfg.get("IMAGEKIT_API_BASE")
        )
    else:
        storage = LocalStorage(cfg["MEDIA_ROOT"])
    app.extensions["dreamdot.storage"] = storage


def storage() -> Storage:
    return current_app.extensions["dreamdot.storage"]


def media_url(key: str | None) -> str | None:
    """The public URL of a `public/` key, or None."""
    if not key:
        return None
    return storage().public_url(key)
