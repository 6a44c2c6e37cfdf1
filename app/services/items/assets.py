"""Managing an item's uploaded parts after creation: remove or reorder art images, download
files, comic pages and chapters, and change alt texts. Each part has a `uid` inside its item;
a uid the item does not hold (another item's, or one removed meanwhile) is NotFound and
nothing changes. The content document is saved only if nobody saved it since it was read
(`revision`); the removed files are deleted from storage after that save succeeded."""

from __future__ import annotations

from dataclasses import dataclass

from mongoengine.errors import SaveConditionError

from app.documents.items import ItemContent, new_uid
from app.extensions import db
from app.models.base import utcnow
from app.models.items import Item
from app.services import NO_ORIGIN, Origin
from app.services.audit import record_event
from app.services.errors import Conflict, Invalid, NotFound
from app.services.items.files import delete_keys, signed_file_url
from app.services.items.loading import get_item_or_404
from app.services.items.policies import can_edit_item
from app.services.media import media_url

UID_CHARS = set("0123456789abcdef")
WHAT = {"art": "image", "download": "file", "comic": "page"}
LIST_FIELD = {"art": "images", "download": "files", "comic": "chapters"}


def get_item_for_assets(item_id, viewer) -> Item:
    """The item when `viewer` is its creator; NotFound for everyone else, so an asset URL
    tells nobody but the creator whether it exists."""
    item = get_item_or_404(item_id, viewer)
    if not can_edit_item(viewer, item) or item.kind == "writing":
        raise NotFound("No such item.", code="item_not_found")
    return item


def load_content(item: Item) -> ItemContent:
    doc = ItemContent.objects(item_id=item.id).first()
    if doc is None:
        raise NotFound("This item's content is missing.", code="content_missing")
    return doc


def save_content(doc: ItemContent, changed: str | None = None) -> None:
    """Save `doc` only if its revision is still the one read; Conflict otherwise.
    `changed` names a list field changed in place: that field is written whole, with the new
    revision, in one conditional update."""
    condition = {"revision": doc.revision} if doc.revision is not None else {"revision__exists": False}
    revision = (doc.revision or 0) + 1
    if changed:
        written = ItemContent.objects(id=doc.id, **condition).update_one(
            **{f"set__{changed}": getattr(doc, changed), "set__revision": revision})
        if not written:
            raise Conflict("This item was changed meanwhile. Reload the page and try again.",
                           code="content_changed")
        doc.revision = revision
        return
    doc.revision = revision
    try:
        doc.save(save_condition=condition)
    except SaveConditionError:
        raise Conflict("This item was changed meanwhile. Reload the page and try again.",
                       code="content_changed") from None


def sync_card_preview(item: Item, doc: ItemContent) -> None:
    """An art item's card shows its first image's public preview when it has no cover: the
    row keeps that preview's key in step with the content (flushed by the caller)."""
    if item.kind == "art":
        item.preview_key = doc.images[0].preview_key if doc.images else None


def ensure_uids(doc: ItemContent) -> ItemContent:
    """Give every image, file, chapter and page made before uids existed one (saved once)."""
    parts = [*doc.images, *doc.files, *doc.chapters, *(p for c in doc.chapters for p in c.pages)]
    missing = [part for part in parts if not part.uid]
    if missing:
        for part in missing:
            part.uid = new_uid()
        save_content(doc)
    return doc


@dataclass
class Found:
    parts: list  # the list holding the part (doc.images, doc.files or a chapter's pages)
    index: int
    chapter: object = None  # comic pages: their chapter

    @property
    def part(self):
        return self.parts[self.index]


def _valid_uid(uid: str) -> bool:
    return isinstance(uid, str) and len(uid) == 16 and set(uid) <= UID_CHARS


def _not_found(item: Item) -> NotFound:
    what = WHAT.get(item.kind, "part")
    return NotFound(f"This item has no such {what}. The page may be out of date: reload it.",
                    code="asset_not_found")


def find_asset(item: Item, doc: ItemContent, uid: str) -> Found:
    if _valid_uid(uid):
        if item.kind == "art":
            lists = [(doc.images, None)]
        elif item.kind == "download":
            lists = [(doc.files, None)]
        else:
            lists = [(chapter.pages, chapter) for chapter in doc.chapters]
        for parts, chapter in lists:
            for index, part in enumerate(parts):
                if part.uid == uid:
                    return Found(parts, index, chapter)
    raise _not_found(item)


def find_chapter(item: Item, doc: ItemContent, uid: str) -> int:
    if item.kind == "comic" and _valid_uid(uid):
        for index, chapter in enumerate(doc.chapters):
            if chapter.uid == uid:
                return index
    raise NotFound("This comic has no such chapter. The page may be out of date: reload it.",
                   code="chapter_not_found")


def _keys(part) -> list[str]:
    return [k for k in (part.key, getattr(part, "preview_key", None)) if k]


def _touch(item: Item) -> None:
    item.updated_at = utcnow()
    db.session.flush()


def remove_asset(item: Item, editor, uid: str, *, origin: Origin = NO_ORIGIN) -> None:
    """Remove one image, file or page; the last one of an art or download item, or of a
    comic chapter, stays (400): an item is never left empty."""
    doc = load_content(item)
    found = find_asset(item, doc, uid)
    if len(found.parts) == 1:
        if item.kind == "comic":
            why = "A chapter keeps at least one page. Remove the whole chapter instead."
        else:
            why = f"An item keeps at least one {WHAT[item.kind]}. Add another before removing this one."
        raise Invalid(why, code="last_asset", fields={"asset": why})
    removed = found.parts.pop(found.index)
    save_content(doc, LIST_FIELD[item.kind])
    sync_card_preview(item, doc)
    delete_keys(_keys(removed))  # after the save: the document never points at a deleted file
    _touch(item)
    record_event("item_asset_remove", user_id=editor.id, origin=origin, target_type="item", target_id=item.id,
                 asset=uid, kind=item.kind)


def remove_chapter(item: Item, editor, uid: str, *, origin: Origin = NO_ORIGIN) -> None:
    """Remove a comic chapter with its pages; the others are renumbered 1, 2, 3 ..."""
    doc = load_content(item)
    index = find_chapter(item, doc, uid)
    if len(doc.chapters) == 1:
        why = "A comic keeps at least one chapter."
        raise Invalid(why, code="last_asset", fields={"chapter": why})
    removed = doc.chapters.pop(index)
    for number, chapter in enumerate(doc.chapters, start=1):
        chapter.number = number
    save_content(doc, "chapters")
    delete_keys([page.key for page in removed.pages])
    _touch(item)
    record_event("item_chapter_remove", user_id=editor.id, origin=origin, target_type="item", target_id=item.id,
                 chapter=uid, pages=len(removed.pages))


def _direction(direction: str) -> int:
    if direction not in ("up", "down"):
        raise Invalid("Move up or down.", code="validation_failed", fields={"direction": "up or down."})
    return -1 if direction == "up" else 1


def _check_position(position, index: int) -> None:
    """`position` (1-based, optional) is where the page showed the part: a move from a page
    that no longer shows the current order (a second click, another tab) changes nothing."""
    if position in (None, ""):
        return
    if str(position).strip() != str(index + 1):
        raise Conflict("The order changed since this page was shown, so nothing moved. "
                       "Here is the current order.", code="order_changed")


def move_asset(item: Item, editor, uid: str, direction: str, position=None) -> bool:
    """Swap an image, file or page with its neighbour (pages within their chapter). At the
    edge nothing moves and False is returned; an unknown uid is NotFound."""
    step = _direction(direction)
    doc = load_content(item)
    found = find_asset(item, doc, uid)
    _check_position(position, found.index)
    return _swap(item, doc, found.parts, found.index, step)


def move_chapter(item: Item, editor, uid: str, direction: str, position=None) -> bool:
    step = _direction(direction)
    doc = load_content(item)
    index = find_chapter(item, doc, uid)
    _check_position(position, index)
    moved = _swap(item, doc, doc.chapters, index, step, save=False)
    if moved:
        for number, chapter in enumerate(doc.chapters, start=1):
            chapter.number = number
        save_content(doc, "chapters")
        _touch(item)
    return moved


def _swap(item: Item, doc: ItemContent, parts: list, index: int, step: int, *, save: bool = True) -> bool:
    other = index + step
    if not 0 <= other < len(parts):
        return False
    items = list(parts)
    items[index], items[other] = items[other], items[index]
    parts[:] = items
    if save:
        save_content(doc, LIST_FIELD[item.kind])
        sync_card_preview(item, doc)
        _touch(item)
    return True


def set_alt(item: Item, editor, uid: str, alt, transcript=None) -> None:
    """Change the alt text of an image or page (and a page's transcript when given)."""
    if item.kind == "download":
        raise _not_found(item)
    if not isinstance(alt, str) or len(alt) > 500:
        raise Invalid("Alt text is at most 500 characters.", code="validation_failed",
                      fields={"alt": "At most 500 characters."})
    if transcript is not None and (not isinstance(transcript, str) or len(transcript) > 5000):
        raise Invalid("A transcript is at most 5,000 characters.", code="validation_failed",
                      fields={"transcript": "At most 5,000 characters."})
    doc = load_content(item)
    part = find_asset(item, doc, uid).part
    part.alt = alt.strip()
    if transcript is not None and item.kind == "comic":
        part.transcript = transcript.strip()
    save_content(doc)
    _touch(item)


def asset_rows(item: Item, doc: ItemContent, viewer) -> dict:
    """What the edit page lists: per image, file or chapter and page, its uid, its place
    and a thumbnail (public previews for art, the creator's own signed URLs for pages)."""
    uid = getattr(viewer, "id", None)
    if item.kind == "art":
        return {"images": [{"uid": image.uid, "alt": image.alt, "thumb": media_url(image.preview_key),
                            "position": n + 1, "first": n == 0, "last": n == len(doc.images) - 1}
                           for n, image in enumerate(doc.images)]}
    if item.kind == "download":
        return {"files": [{"uid": f.uid, "name": f.name, "size": f.size,
                           "position": n + 1, "first": n == 0, "last": n == len(doc.files) - 1} for n, f in enumerate(doc.files)]}
    chapters = []
    for c, chapter in enumerate(doc.chapters):
        pages = [{"uid": page.uid, "number": n + 1, "alt": page.alt, "transcript": page.transcript,
                  "thumb": signed_file_url(uid, item.id, page.key, f"page-{n + 1}.webp", inline=True),
                  "position": n + 1, "first": n == 0, "last": n == len(chapter.pages) - 1} for n, page in enumerate(chapter.pages)]
        chapters.append({"uid": chapter.uid, "number": chapter.number, "position": c + 1, "title": chapter.title, "pages": pages,
                         "first": c == 0, "last": c == len(doc.chapters) - 1})
    return {"chapters": chapters}
