"""Creating, editing and deleting items: metadata in the `items` bind, content in
MongoDB, files in storage. Everything is checked before anything is written; when a
step fails, the files already stored and the content document are removed again."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

import sqlalchemy as sa

from app.documents.items import ItemContent
from app.extensions import db
from app.models.base import utcnow
from app.models.items import Item, ItemTag
from app.services import NO_ORIGIN, Origin
from app.services.audit import record_event
from app.services.errors import Invalid, NotFound
from app.services.items import content as build
from app.services.items.assets import save_content, sync_card_preview
from app.services.items.files import delete_keys
from app.services.items.imaging import process_art_image
from app.services.items.plans import PLAN_PATH, get_plan
from app.services.items.search import index_item
from app.services.items.validation import clean_item_fields
from app.services.media import process_image, storage


@dataclass
class ItemInput:
    """What a creator sends besides the metadata fields (pages and API fill it alike)."""

    body: str | None = None  # writing: Markdown or editor HTML
    body_format: str = "markdown"
    files: list[BinaryIO] = field(default_factory=list)  # download files or art images
    alts: list[str] = field(default_factory=list)  # art alt texts, comic page alt texts
    transcripts: list[str] = field(default_factory=list)
    pages: list[BinaryIO] = field(default_factory=list)  # comic pages, in reading order
    page_numbers: list = field(default_factory=list)  # optional: must run 1, 2, 3 ...
    chapter_title: str | None = None
    free_pages: object = None
    cover: BinaryIO | None = None
    publish: bool | None = None


def get_content(item: Item) -> ItemContent:
    doc = ItemContent.objects(item_id=item.id).first()
    if doc is None:
        raise NotFound("This item's content is missing.", code="content_missing")
    return doc


@contextmanager
def _cleanup_on_failure(stored: build.Stored, new_doc: list):
    try:
        yield
    except BaseException:
        delete_keys(stored.keys)
        for doc in new_doc:
            doc.delete()
        raise


def _set_tags(item: Item, tags: list[str]) -> None:
    db.session.execute(sa.delete(ItemTag).where(ItemTag.item_id == item.id))
    db.session.add_all(ItemTag(item_id=item.id, tag=tag) for tag in tags)


def _build_content(kind: str, data: ItemInput, paid: bool, stored: build.Stored) -> dict:
    if kind == "writing":
        return build.writing_fields(data.body, data.body_format)
    if kind == "art":
        build.check_count(data.files, "files", build.MAX_IMAGES, "image", required=True)
        return {"images": build.art_images(data.files, data.alts, paid=paid, stored=stored)}
    if kind == "comic":
        free_pages = build.clean_free_pages(data.free_pages)
        chapter = build.comic_chapter(1, data.chapter_title, data.pages, data.alts, data.transcripts,
                                      data.page_numbers, stored=stored)
        return {"chapters": [chapter], "free_pages": free_pages}
    build.check_count(data.files, "files", build.MAX_FILES, "file", required=True)
    return {"files": build.download_files(data.files, stored=stored)}


NO_PLAN = "Subscribers only needs your monthly subscription plan, and you have none yet."


def check_subscription_plan(creator_id: int, values: dict, item: Item | None = None) -> None:
    """An item becomes "Subscribers only" only when its creator has a plan people can take:
    otherwise nobody could ever get it (Invalid `no_subscription_plan`, naming where to make
    one). An item that already was one stays editable after its plan was turned off."""
    if values.get("pricing") != "subscription" or (item is not None and item.pricing == "subscription"):
        return
    if get_plan(creator_id) is None:
        raise Invalid(f"{NO_PLAN} Create it first at {PLAN_PATH}, then choose Subscribers only again.",
                      code="no_subscription_plan", fields={"pricing": f"{NO_PLAN} Create it first."})


def create_item(creator, fields: dict, data: ItemInput, *, origin: Origin = NO_ORIGIN) -> Item:
    """A new item (a draft unless `data.publish`), or Invalid/TooLarge with nothing kept."""
    values = clean_item_fields(fields)
    check_subscription_plan(creator.id, values)
    stored, new_doc = build.Stored(), []
    with _cleanup_on_failure(stored, new_doc):
        cover_data = process_image(data.cover, "cover", field="cover") if data.cover is not None else None
        content = _build_content(values["kind"], data, values["pricing"] != "free", stored)
        cover_key = stored.save("public/items/covers", cover_data) if cover_data else None
        now = utcnow()
        item = Item(creator_id=creator.id, cover_key=cover_key, status="published" if data.publish else "draft",
                    published_at=now if data.publish else None, **values)
        db.session.add(item)
        db.session.flush()
        _set_tags(item, values["tags"])
        doc = ItemContent(item_id=item.id, kind=item.kind, **content)
        doc.save()
        new_doc.append(doc)
        sync_card_preview(item, doc)
        index_item(item)
        record_event("item_create", user_id=creator.id, origin=origin, target_type="item", target_id=item.id,
                     kind=item.kind, pricing=item.pricing)
    return item


def _apply_content_update(item: Item, doc: ItemContent, data: ItemInput, stored: build.Stored) -> list[str]:
    """Changes to the content document (not yet saved); returns keys the change retires."""
    if item.kind == "writing" and data.body is not None:
        for name, value in build.writing_fields(data.body, data.body_format).items():
            setattr(doc, name, value)
    if item.kind == "comic" and data.free_pages not in (None, ""):
        doc.free_pages = build.clean_free_pages(data.free_pages)
    if item.kind == "art" and data.files:
        build.check_count(doc.images + data.files, "files", build.MAX_IMAGES, "image", required=True)
        doc.images = list(doc.images) + build.art_images(data.files, data.alts, paid=item.is_paid, stored=stored)
    if item.kind == "download" and data.files:
        build.check_count(doc.files + data.files, "files", build.MAX_FILES, "file", required=True)
        doc.files = list(doc.files) + build.download_files(data.files, stored=stored)
    return []


def _refresh_art_previews(doc: ItemContent, paid: bool, stored: build.Stored) -> list[str]:
    """Remake every art preview from its original (watermarked when paid); the old keys."""
    retired = []
    for image in doc.images:
        result = process_art_image(storage().read(image.key), field="files", watermark=paid)
        retired.append(image.preview_key)
        image.preview_key = stored.save("public/items/previews", result["preview"])
    return retired


def update_item(item: Item, editor, fields: dict, data: ItemInput | None = None, *,
                origin: Origin = NO_ORIGIN) -> Item:
    """Change the given fields (and content); the caller has loaded `item` for editing."""
    data = data or ItemInput()
    fields = {k: v for k, v in fields.items() if k != "kind"}  # the kind of an item is fixed
    values = clean_item_fields(fields, partial=True, current=item)
    check_subscription_plan(item.creator_id, values, item)
    stored = build.Stored()
    doc = get_content(item)
    with _cleanup_on_failure(stored, []):
        cover_data = process_image(data.cover, "cover", field="cover") if data.cover is not None else None
        _apply_content_update(item, doc, data, stored)
        retired = []
        if item.kind == "art" and "pricing" in values and (values["pricing"] != "free") != item.is_paid:
            retired += _refresh_art_previews(doc, values["pricing"] != "free", stored)
        if cover_data:
            retired.append(item.cover_key)
            item.cover_key = stored.save("public/items/covers", cover_data)
        for name, value in values.items():
            setattr(item, name, value)
        sync_card_preview(item, doc)
        if "tags" in values:
            _set_tags(item, values["tags"])
        if data.publish is not None:
            set_published(item, data.publish)
        db.session.flush()
        save_content(doc)
        index_item(item)
    delete_keys(retired)
    record_event("item_update", user_id=editor.id, origin=origin, target_type="item", target_id=item.id,
                 fields=sorted(values))
    return item


def fill_card_previews() -> int:
    """Give art items made before `Item.preview_key` existed their card preview; how many."""
    items = list(db.session.scalars(sa.select(Item).where(Item.kind == "art", Item.preview_key.is_(None))))
    docs = {d.item_id: d for d in ItemContent.objects(item_id__in=[i.id for i in items]).only("item_id", "images")}
    for item in items:
        if item.id in docs:
            sync_card_preview(item, docs[item.id])
    db.session.flush()
    return sum(1 for item in items if item.preview_key)


def set_published(item: Item, publish: bool) -> None:
    if publish and item.status != "published":
        item.status = "published"
        item.published_at = item.published_at or utcnow()
    elif not publish and item.status == "published":
        item.status = "draft"


def add_comic_chapter(item: Item, editor, data: ItemInput, *, origin: Origin = NO_ORIGIN) -> Item:
    """Append a chapter of pages to a comic series."""
    if item.kind != "comic":
        raise build.invalid("pages", "Only comics have chapters.")
    doc = get_content(item)
    stored = build.Stored()
    with _cleanup_on_failure(stored, []):
        number = len(doc.chapters) + 1
        chapter = build.comic_chapter(number, data.chapter_title, data.pages, data.alts, data.transcripts,
                                      data.page_numbers, stored=stored)
        doc.chapters.append(chapter)
        save_content(doc)
        item.updated_at = utcnow()
        db.session.flush()
    record_event("item_chapter_add", user_id=editor.id, origin=origin, target_type="item", target_id=item.id)
    return item


def delete_item(item: Item, editor, *, origin: Origin = NO_ORIGIN) -> None:
    """Hide the item from the shop and search; its content stays for those entitled to it."""
    item.deleted_at = utcnow()
    db.session.flush()
    record_event("item_delete", user_id=editor.id, origin=origin, target_type="item", target_id=item.id)
