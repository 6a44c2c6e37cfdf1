"""Turning a submitted item form into the service's fields and ItemInput."""

from __future__ import annotations

import re

from app.services.items.catalog import ItemInput
from app.services.items.validation import parse_dollars
from app.web.forms import apply_errors
from app.web.uploads import upload_or_none

FORM_FIELD_OF = {"price_cents": "price", "files": "files", "pages": "pages", "body": "body"}


def lines(text: str | None) -> list[str]:
    return (text or "").splitlines()


def blocks(text: str | None) -> list[str]:
    return [b.strip() for b in re.split(r"(?m)^---\s*$", text or "")] if (text or "").strip() else []


def chosen(files) -> list:
    return [f for f in (files or []) if upload_or_none(f)]


def item_fields(form, *, with_kind: bool = True) -> dict:
    fields = {"title": form.title.data, "description": form.description.data, "tags": form.tags.data,
              "pricing": form.pricing.data, "price_cents": parse_dollars(form.price.data) or 0}
    if with_kind:
        fields["kind"] = form.kind.data
    return fields


def item_input(form, *, kind: str | None, editing: bool = False) -> ItemInput:
    kind = kind or form.kind.data
    body = form.body.data if kind == "writing" else None
    if editing and kind == "writing" and not (body or "").strip():
        body = None
    return ItemInput(
        body=body,
        body_format=form.body_format.data or "markdown",
        files=chosen(form.files.data) if kind in ("art", "download") else [],
        alts=lines(form.page_alts.data) if kind == "comic" else lines(form.file_alts.data),
        transcripts=blocks(form.transcripts.data),
        pages=chosen(form.pages.data) if kind == "comic" and not editing else [],
        chapter_title=form.chapter_title.data,
        free_pages=form.free_pages.data if kind == "comic" else None,
        cover=upload_or_none(form.cover.data),
        publish=bool(form.publish.data),
    )


def place_errors(form, exc) -> None:
    exc.fields = {FORM_FIELD_OF.get(k, k): v for k, v in exc.fields.items()}
    apply_errors(form, exc)
