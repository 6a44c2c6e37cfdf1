"""Hostile images on every upload that takes one: avatars, post images, item covers, art
files, comic pages and community icons.

Decision: a polyglot (a valid PNG or GIF with an HTML/JS page, a PHP script or a ZIP/JAR
appended) is accepted as the image it is, because every image is decoded and re-encoded to
WebP: the tail never reaches storage (proved by reading every stored byte). A file whose
name or declared type lies (HTML called avatar.png, image/png) is refused (400), as is a
decompression bomb (a tiny PNG declaring 100,000 x 100,000 pixels: 413, over the use's pixel
limit), with nothing stored."""

from __future__ import annotations

import io
import logging
import struct
import zlib
from pathlib import Path

import pytest

from app.extensions import db
from app.models import User
from app.models.community import Community
from app.models.items import Item
from app.models.social import Post
from tests.conftest import bearer
from tests.factories import make_image

HTML = b"<html><script>alert(document.cookie)</script></html>"
PHP = b"<?php system($_GET['c']); ?>"
ZIP = b"PK\x03\x04" + b"\x14\x00" * 10 + b"META-INF/MANIFEST.MF" + PHP + b"PK\x05\x06" + b"\x00" * 18
MARKERS = (b"<script", b"<?php", b"<html", b"PK\x03\x04", b"MANIFEST")


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid 1x1 PNG whose header declares width x height."""
    data = bytearray(make_image("PNG", (1, 1)))
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)))
    return bytes(data)


POLYGLOTS = {
    "png+html": make_image("PNG") + HTML,
    "png+php": make_image("PNG") + PHP,
    "gifar": make_image("GIF") + ZIP,
}
REFUSED = {
    "html called png": HTML * 20,
    "php called png": PHP * 20,
    "bomb": png_bomb(),
}


def _send(app, client, target: str, name: str, data: bytes):
    owner = User.query.filter_by(username="uploader").one()
    headers = bearer(app, owner)
    upload = (io.BytesIO(data), f"{name}.png", "image/png")
    if target == "avatar":
        return client.patch("/api/users/me", data={"avatar": upload}, headers=headers)
    if target == "post image":
        return client.post("/api/posts/create", data={"body": "Look", "images": upload}, headers=headers)
    if target == "item cover":
        return client.post("/api/items/create", headers=headers, data={
            "kind": "writing", "title": "T", "description": "D", "pricing": "free", "price_cents": "0",
            "body_html": "<p>x</p>", "cover": upload})
    if target == "art file":
        return client.post("/api/items/create", headers=headers, data={
            "kind": "art", "title": "T", "description": "D", "pricing": "free", "price_cents": "0",
            "files": upload})
    if target == "comic page":
        return client.post("/api/items/create", headers=headers, data={
            "kind": "comic", "title": "T", "description": "D", "pricing": "free", "price_cents": "0",
            "pages": upload})
    if target == "community icon":
        return client.post("/api/communities", headers=headers, data={
            "name": "Icons", "slug": "icons", "description": "D", "visibility": "public", "icon": upload})
    raise AssertionError(target)


TARGETS = ["avatar", "post image", "item cover", "art file", "comic page", "community icon"]


def stored_bytes(app) -> list[bytes]:
    root = Path(app.config["MEDIA_ROOT"])
    return [p.read_bytes() for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def uploader(app):
    from tests.factories import UserFactory

    return UserFactory(username="uploader")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", list(POLYGLOTS))
def test_a_polyglot_is_stored_without_its_tail(app, client, uploader, target, kind):
    response = _send(app, client, target, kind, POLYGLOTS[kind])
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    files = stored_bytes(app)
    assert files, "the image was stored"
    for data in files:
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"  # re-encoded
        assert not any(marker in data for marker in MARKERS)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_lying_file_or_a_bomb_is_refused_and_nothing_is_kept(app, client, uploader, target, kind):
    response = _send(app, client, target, kind, REFUSED[kind])
    assert response.status_code == (413 if kind == "bomb" else 400), response.get_data(as_text=True)
    assert response.get_json()["error"]["fields"]
    assert stored_bytes(app) == []
    db.session.expire_all()
    assert uploader.avatar_key is None


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", [*REFUSED, "bmp"])
def test_a_refused_upload_logs_one_warning_without_a_traceback(app, client, uploader, target, kind, caplog):
    data = make_image("BMP", (32, 32)) if kind == "bmp" else REFUSED[kind]
    caplog.set_level(logging.INFO)
    response = _send(app, client, target, kind, data)
    error = response.get_json()["error"]
    if kind == "bomb":
        assert response.status_code == 413 and error["code"] == "image_too_large"
        assert " can have at most " in error["message"] and "this one has far more" in error["message"]
        assert list(error["fields"].values()) == [error["message"]]
    else:
        assert response.status_code == 400 and error["code"] == "invalid_image"
        assert error["message"] == "That file is not an image we accept (JPEG, PNG, WebP or GIF)."
        assert list(error["fields"].values()) == ["Not a JPEG, PNG, WebP or GIF image."]
    refusals = [r for r in caplog.records if r.name == "dreamdot.media"]
    assert [r.levelno for r in refusals] == [logging.WARNING]
    assert refusals[0].getMessage().startswith("image refused for ")
    assert all(r.exc_info is None and r.levelno < logging.ERROR for r in caplog.records)
    assert "Traceback" not in caplog.text
    assert stored_bytes(app) == []
    assert [db.session.query(model).count() for model in (Item, Post, Community)] == [0, 0, 0]
    db.session.expire_all()
    assert uploader.avatar_key is None
