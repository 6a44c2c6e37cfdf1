"""Shared makers for the marketplace tests."""

import io

from werkzeug.datastructures import FileStorage

from app.services.items.catalog import ItemInput, create_item
from tests.factories import make_image


def upload(data: bytes, name: str = "file.png", content_type: str = "image/png") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=content_type)


def png(color=(10, 120, 200), size=(60, 40)) -> FileStorage:
    return upload(make_image("PNG", size=size, color=color), "pic.png")


def new_item(creator, kind="writing", pricing="free", price_cents=0, publish=True, **extra):
    fields = {"kind": kind, "title": extra.pop("title", f"A {kind}"),
              "description": extra.pop("description", "Something made with care."),
              "pricing": pricing, "price_cents": price_cents, "tags": extra.pop("tags", ["demo"])}
    data = ItemInput(publish=publish, **extra)
    if kind == "writing" and data.body is None:
        data.body = "Free opening.\n\n---paywall---\n\nThe **secret** ending."
    if kind == "art" and not data.files:
        data.files = [png(), png((200, 10, 10))]
    if kind == "comic" and not data.pages:
        data.pages = [png((i * 60, 10, 10)) for i in range(3)]
        data.alts = ["Panel one", "Panel two", "Panel three"]
        data.free_pages = data.free_pages if data.free_pages is not None else 1
    if kind == "download" and not data.files:
        data.files = [upload(b"PK\x03\x04 zip bytes" * 10, "pack.zip", "application/zip")]
    return create_item(creator, fields, data)


def request_context(app):
    """Views build media URLs with url_for: give service tests a request context."""
    with app.test_request_context("/"):
        yield


def committed_item(app, creator, **kw):
    """`new_item` inside a request context, committed: what the page and API tests start from."""
    from app.extensions import db

    with app.test_request_context("/"):
        item = new_item(creator, **kw)
        db.session.commit()
        return item
