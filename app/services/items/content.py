"""Building an item's MongoDB content from uploads, kind by kind. Every upload is checked
(and images re-encoded) before anything is stored; what was stored is listed in
`Stored.keys` so a failure can remove it again."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app

from app.documents.items import ArtImage, ComicChapter, ComicPage, DownloadFile, new_uid
from app.services.errors import Invalid
from app.services.items.files import guess_type, safe_filename, save_stream
from app.services.items.imaging import process_art_image, process_comic_page
from app.services.items.sanitize import is_blank, prepare_writing, with_marker
from app.services.media import read_limited, storage
from app.services.names import one_line_name
from app.services.numbers import to_int

MAX_FILES = 20
MAX_IMAGES = 20
MAX_PAGES = 200
MAX_PAGE_NUMBER = 9999


@dataclass
class Stored:
    keys: list[str] = field(default_factory=list)

    def save(self, folder: str, data: bytes, ext: str = "webp", content_type: str = "image/webp") -> str:
        key = storage().save(folder, data, ext, content_type)
        self.keys.append(key)
        return key


def invalid(field_name: str, why: str, code: str = "validation_failed") -> Invalid:
    return Invalid(why, code=code, fields={field_name: why})


def writing_fields(source: str | None, fmt: str | None) -> dict:
    """The content fields of a writing. The source is kept as the creator can edit it again:
    their Markdown as typed, or the editor's HTML (sanitized) with the paywall marker."""
    if not isinstance(source, str) or len(source) > 500_000:
        raise invalid("body", "Write the text of the piece (at most 500,000 characters).")
    fmt = fmt if fmt in ("markdown", "html") else "markdown"
    body, preview, marked = prepare_writing(source, fmt)
    if is_blank(body):
        raise invalid("body", "Write the text of the piece.")
    return {"body_html": body, "preview_html": preview, "body_format": fmt,
            "body_source": source if fmt == "markdown" else marked}


@dataclass(frozen=True)
class EditableWriting:
    """A writing as its edit form shows it: `text` in the textarea (Markdown or HTML, as
    `body_format` says), and `editor_html` for the rich editor, both with the paywall marker."""

    text: str
    body_format: str
    editor_html: str


def editable_writing(doc) -> EditableWriting:
    if doc.body_format == "markdown" and doc.body_source:
        return EditableWriting(doc.body_source, "markdown", prepare_writing(doc.body_source, "markdown")[2])
    marked = doc.body_source or with_marker(doc.body_html, doc.preview_html)
    return EditableWriting(marked, "html", marked)


def check_count(uploads: list, name: str, most: int, what: str, *, required: bool) -> None:
    if required and not uploads:
        raise invalid(name, f"Add at least one {what}.")
    if len(uploads) > most:
        raise invalid(name, f"At most {most} {what}s.")


def art_images(uploads: list, alts: list[str], *, paid: bool, stored: Stored) -> list[ArtImage]:
    limit = current_app.config["MAX_IMAGE_BYTES"]
    processed = [
        process_art_image(read_limited(up, limit, "files"), field="files", watermark=paid) for up in uploads
    ]
    images = []
    for index, result in enumerate(processed):
        images.append(ArtImage(
            uid=new_uid(), key=stored.save("items/art", result["original"]),
            preview_key=stored.save("public/items/previews", result["preview"]),
            width=result["width"], height=result["height"],
            alt=(alts[index] if index < len(alts) else "")[:500],
        ))
    return images


def check_page_numbers(numbers: list, count: int, start: int = 1) -> None:
    """Explicit page numbers must run start, start+1, ... in the order of the uploads."""
    if not numbers:
        return
    if len(numbers) != count:
        raise invalid("pages", "Give one page number per page.", "page_out_of_order")
    for offset, raw in enumerate(numbers):
        expected = start + offset
        if to_int(raw, minimum=0, maximum=MAX_PAGE_NUMBER) != expected:
            raise invalid("pages", f"Page {str(raw).strip()[:8]} is out of order: expected page {expected}.",
                          "page_out_of_order")


def comic_pages(uploads: list, alts: list[str], transcripts: list[str], *, stored: Stored) -> list[ComicPage]:
    limit = current_app.config["MAX_IMAGE_BYTES"]
    processed = [process_comic_page(read_limited(up, limit, "pages"), field="pages") for up in uploads]
    pages = []
    for index, data in enumerate(processed):
        alt = (alts[index] if index < len(alts) else "").strip()[:500]
        transcript = (transcripts[index] if index < len(transcripts) else "").strip()[:5000]
        pages.append(ComicPage(uid=new_uid(), key=stored.save("items/comics", data), alt=alt, transcript=transcript))
    return pages


def comic_chapter(number: int, title: str | None, uploads: list, alts, transcripts, numbers, *,
                  stored: Stored) -> ComicChapter:
    check_count(uploads, "pages", MAX_PAGES, "page", required=True)
    check_page_numbers(numbers, len(uploads))
    title = one_line_name(title)[:120] or f"Chapter {number}"
    pages = comic_pages(uploads, alts, transcripts, stored=stored)
    return ComicChapter(uid=new_uid(), number=number, title=title, pages=pages)


def clean_free_pages(value) -> int:
    blank = value is None or (isinstance(value, str) and not value.strip())
    number = to_int(0 if blank else value, minimum=0, maximum=MAX_PAGE_NUMBER)
    if number is None:
        raise invalid("free_pages", "The number of free pages is a whole number from 0.")
    return number


def download_files(uploads: list, *, stored: Stored) -> list[DownloadFile]:
    limit = current_app.config["MAX_DOWNLOAD_BYTES"]
    files = []
    for upload in uploads:
        name = safe_filename(getattr(upload, "filename", None))
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "bin"
        ext = ext if re.fullmatch(r"[a-z0-9]{1,10}", ext) else "bin"
        content_type = guess_type(name)
        key, size = save_stream("items/downloads", upload.stream if hasattr(upload, "stream") else upload,
                                ext, content_type, limit=limit, field="files")
        stored.keys.append(key)
        if size == 0:
            raise invalid("files", f"“{name}” is empty.")
        files.append(DownloadFile(uid=new_uid(), key=key, name=name, size=size, content_type=content_type))
    return files
