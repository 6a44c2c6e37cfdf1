"""What an item shows a viewer: the API `Item` object, and the content or the preview.
Private files appear only as signed URLs made for this viewer after the access check."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.documents.items import ItemContent
from app.extensions import db
from app.models import User
from app.models.items import Entitlement, Item
from app.services.accounts import serialize_user
from app.services.errors import NotFound
from app.services.items.files import SignedFile, open_signed_url, signed_file_url
from app.services.items.imaging import PREVIEW_MAX
from app.services.items.loading import get_item_or_404
from app.services.items.policies import can_access_content, viewer_id
from app.services.items.sanitize import drop_empty_paragraphs
from app.services.media import media_url
from app.services.payments.purchases import record_opened
from app.services.payments.subscriptions import ensure_subscription_current


def creators_by_id(items: list[Item]) -> dict[int, User]:
    return users_by_id({item.creator_id for item in items})


def users_by_id(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def owned_item_ids(viewer, items: list[Item]) -> set[int]:
    uid = viewer_id(viewer)
    if uid is None or not items:
        return set()
    return set(db.session.scalars(sa.select(Entitlement.item_id).where(
        Entitlement.user_id == uid, Entitlement.revoked_at.is_(None),
        Entitlement.item_id.in_([i.id for i in items]))))


def serialize_item(item: Item, viewer=None, *, creator: User | None = None, owned: bool | None = None) -> dict:
    """The `Item` object of api.md (plus a few extra fields)."""
    if creator is None:
        creator = db.session.get(User, item.creator_id)
    if owned is None:
        owned = bool(owned_item_ids(viewer, [item]))
    return {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "creator": serialize_user(creator) if creator is not None else None,
        "pricing": item.pricing,
        "price_cents": item.price_cents,
        "cover_url": media_url(item.cover_key),
        "created_at": item.created_at.isoformat(),
        "rating_avg": item.rating_avg,
        "review_count": item.review_count,
        "owned": owned,
        "tags": list(item.tags or []),
        "status": item.status,
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "favorite_count": item.favorite_count,
    }


def serialize_items(items: list[Item], viewer=None) -> list[dict]:
    creators = creators_by_id(items)
    owned = owned_item_ids(viewer, items)
    return [serialize_item(i, viewer, creator=creators.get(i.creator_id), owned=i.id in owned) for i in items]


@dataclass
class ItemView:
    item: Item
    locked: bool
    content: dict | None  # for the creator and the entitled
    preview: dict  # for everyone who may see the item


def _file_url(viewer, item: Item, key: str, name: str, inline: bool = False) -> str:
    return signed_file_url(viewer_id(viewer), item.id, key, name, inline=inline)


def _comic(viewer, item: Item, doc: ItemContent, full: bool) -> dict:
    chapters, number = [], 0
    for chapter in doc.chapters:
        pages = []
        for index, page in enumerate(chapter.pages, start=1):
            number += 1
            free = full or number <= doc.free_pages
            pages.append({
                "number": index,
                "position": number,
                "alt": page.alt or f"Page {index}",
                "transcript": page.transcript,
                "url": _file_url(viewer, item, page.key, f"page-{number}.webp", inline=True) if free else None,
                "locked": not free,
            })
        chapters.append({"number": chapter.number, "title": chapter.title, "pages": pages})
    return {"free_pages": doc.free_pages, "chapters": chapters}


def _art_preview(image) -> dict:
    """An art image's public preview, with the original's size and the preview's own (the
    original scaled to fit PREVIEW_MAX, as imaging made it), so pages reserve its box."""
    width, height = image.width or PREVIEW_MAX, image.height or PREVIEW_MAX
    scale = min(1.0, PREVIEW_MAX / max(width, height))
    return {"preview_url": media_url(image.preview_key), "width": image.width, "height": image.height,
            "preview_width": max(1, round(width * scale)), "preview_height": max(1, round(height * scale)),
            "alt": image.alt}


def _content(viewer, item: Item, doc: ItemContent) -> dict:
    if item.kind == "writing":
        return {"body_html": drop_empty_paragraphs(doc.body_html)}
    if item.kind == "art":
        return {"images": [{
            "url": _file_url(viewer, item, image.key, f"{item.title}-{n}.webp", inline=True),
            "download_url": _file_url(viewer, item, image.key, f"{item.title}-{n}.webp"),
            **_art_preview(image),
        } for n, image in enumerate(doc.images, start=1)]}
    if item.kind == "comic":
        return _comic(viewer, item, doc, full=True)
    return {"files": [{"name": f.name, "size": f.size, "content_type": f.content_type,
                       "url": _file_url(viewer, item, f.key, f.name)} for f in doc.files]}


def _preview(viewer, item: Item, doc: ItemContent) -> dict:
    if item.kind == "writing":
        return {"preview_html": drop_empty_paragraphs(doc.preview_html)}  # writings saved before they were dropped
    if item.kind == "art":
        return {"images": [_art_preview(image) for image in doc.images]}
    if item.kind == "comic":
        return _comic(viewer, item, doc, full=False)
    return {"files": [{"name": f.name, "size": f.size} for f in doc.files]}


def view_item(item: Item, viewer) -> ItemView:
    """The content for the creator and the entitled, the preview for everyone else.
    The caller has loaded the item with `get_item_or_404`."""
    doc = ItemContent.objects(item_id=item.id).first() or ItemContent(item_id=item.id, kind=item.kind)
    if item.pricing == "subscription" and getattr(viewer, "is_authenticated", False) and viewer.id != item.creator_id:
        ensure_subscription_current(viewer.id, item.creator_id)  # the lazy renewal on access
    allowed = can_access_content(viewer, item)
    return ItemView(item=item, locked=not allowed,
                    content=_content(viewer, item, doc) if allowed else None,
                    preview=_preview(viewer, item, doc))


def open_item_file(token: str, viewer) -> SignedFile:
    """The file a signed URL names, when `viewer` may still have it. The signature proves
    only that access was checked when the URL was made: a refund, a lapsed subscription,
    a block or the file's removal since then ends it (NotFound). A paid file counts as
    opened by its buyer (refund_policy.py)."""
    signed = open_signed_url(token, viewer_id(viewer))
    item = get_item_or_404(signed.item_id, viewer)
    doc = ItemContent.objects(item_id=item.id).first()
    if doc is None:
        raise NotFound("No such file.")
    if signed.key not in _free_keys(item, doc):
        _opening(viewer, item)
    if signed.key not in _keys_for(viewer, item, doc):
        raise NotFound("No such file.")
    return signed


def read_item(item: Item, viewer) -> ItemView:
    """`view_item` for the reading page and the API, which hand a writing's whole text to
    those entitled to it: for its buyer, that opens the paid part (refund_policy.py)."""
    if item.kind == "writing":
        _opening(viewer, item)
    return view_item(item, viewer)


def _opening(viewer, item: Item) -> None:
    """Mark the buyer's purchase opened before the access check, never after: a refund that
    commits first leaves the purchase alone and the check then refuses; one that commits later
    finds the purchase opened and is refused to the buyer alone."""
    uid = viewer_id(viewer)
    if uid is not None and uid != item.creator_id and item.pricing == "one_time":
        record_opened(uid, item.id)


def _free_keys(item: Item, doc: ItemContent) -> set[str]:
    """The private keys everyone who sees the item may fetch: a comic's free pages."""
    if item.kind != "comic":
        return set()
    pages = [page.key for chapter in doc.chapters for page in chapter.pages]
    return set(pages[:doc.free_pages])


def _keys_for(viewer, item: Item, doc: ItemContent) -> set[str]:
    """The private keys `viewer` may fetch now: all of them with access to the content,
    else a comic's free pages."""
    if can_access_content(viewer, item):
        return set(doc.storage_keys())
    return _free_keys(item, doc)


def comic_position(view: ItemView, chapter: int, page: int) -> dict:
    """The reader's state at (chapter, page): this page and its neighbours."""
    data = view.content or view.preview
    flat = [(c, p) for c in data.get("chapters", []) for p in c["pages"]]
    index = next((i for i, (c, p) in enumerate(flat) if c["number"] == chapter and p["number"] == page), None)
    if index is None:
        return {}
    prev_ = flat[index - 1] if index > 0 else None
    next_ = flat[index + 1] if index + 1 < len(flat) else None
    return {
        "chapter": flat[index][0], "page": flat[index][1], "total": len(flat), "index": index + 1,
        "prev": {"chapter": prev_[0]["number"], "page": prev_[1]["number"]} if prev_ else None,
        "next": {"chapter": next_[0]["number"], "page": next_[1]["number"]} if next_ else None,
    }
