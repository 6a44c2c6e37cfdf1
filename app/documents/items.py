"""The full content of items, one document per item (`item_id` is the SQL id in the
`items` bind). Keys name files in the storage service; `public/` keys are previews
anyone may see, the others are served only through signed URLs."""

from __future__ import annotations

import secrets

import mongoengine as me


def new_uid() -> str:
    """The id of an image, file, page or chapter inside its item (in edit URLs)."""
    return secrets.token_hex(8)


class ArtImage(me.EmbeddedDocument):
    uid = me.StringField()  # set on creation; older documents get one on first edit
    key = me.StringField(required=True)  # the original (re-encoded, metadata stripped)
    preview_key = me.StringField(required=True)  # public, downscaled (watermarked when paid)
    width = me.IntField()
    height = me.IntField()
    alt = me.StringField(default="")


class DownloadFile(me.EmbeddedDocument):
    uid = me.StringField()  # set on creation; older documents get one on first edit
    key = me.StringField(required=True)
    name = me.StringField(required=True)
    size = me.IntField(required=True)
    content_type = me.StringField(default="application/octet-stream")


class ComicPage(me.EmbeddedDocument):
    uid = me.StringField()  # set on creation; older documents get one on first edit
    key = me.StringField(required=True)
    alt = me.StringField(default="")
    transcript = me.StringField(default="")


class ComicChapter(me.EmbeddedDocument):
    uid = me.StringField()  # set on creation; older documents get one on first edit
    number = me.IntField(required=True)
    title = me.StringField(default="")
    pages = me.EmbeddedDocumentListField(ComicPage)


class ItemContent(me.Document):
    meta = {"collection": "item_contents", "indexes": [{"fields": ["item_id"], "unique": True}]}

    item_id = me.IntField(required=True)
    kind = me.StringField(required=True)
    body_html = me.StringField(default="")  # writing: the whole sanitized body
    preview_html = me.StringField(default="")  # writing: the part above the paywall marker
    # writing: what its creator edits again, marker included: their Markdown, or the editor's
    # sanitized HTML (empty for writings saved before it was kept; see content.editable_writing)
    body_source = me.StringField(default="")
    body_format = me.StringField(default="")  # "markdown" or "html"
    images = me.EmbeddedDocumentListField(ArtImage)
    files = me.EmbeddedDocumentListField(DownloadFile)
    chapters = me.EmbeddedDocumentListField(ComicChapter)
    free_pages = me.IntField(default=0)  # comic: how many first pages everyone may read
    revision = me.IntField()  # bumped by every edit; a save expects the revision it read

    def storage_keys(self) -> list[str]:
        keys = [f.key for f in self.files]
        keys += [k for image in self.images for k in (image.key, image.preview_key)]
        keys += [page.key for chapter in self.chapters for page in chapter.pages]
        return keys
