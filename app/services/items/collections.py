"""Collections: a user's named lists of items, public or private."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.items import Collection, CollectionItem, Item
from app.services.errors import Conflict, Invalid, NotFound, Unauthorized
from app.services.ids import as_id
from app.services.items.policies import can_view_item, viewer_id
from app.services.names import one_line_name


def create_collection(owner, name: str, is_public: bool = False) -> Collection:
    if viewer_id(owner) is None:
        raise Unauthorized("Sign in to make collections.")
    name = one_line_name(name) if isinstance(name, str) else ""
    if not name or len(name) > 80:
        raise Invalid("Name the collection (at most 80 characters).", code="validation_failed",
                      fields={"name": "From 1 to 80 characters."})
    if db.session.scalar(sa.select(Collection.id).where(Collection.owner_id == owner.id, Collection.name == name)):
        raise Conflict("You already have a collection with that name.", code="collection_exists",
                       fields={"name": "Already used."})
    collection = Collection(owner_id=owner.id, name=name, is_public=bool(is_public))
    db.session.add(collection)
    db.session.flush()
    return collection


def get_collection(collection_id, viewer) -> Collection:
    """Public collections for everyone, private ones for their owner; else NotFound."""
    number = as_id(collection_id)
    collection = db.session.get(Collection, number) if number else None
    if collection is None or not (collection.is_public or collection.owner_id == viewer_id(viewer)):
        raise NotFound("No such collection.")
    return collection


def get_own_collection(collection_id, owner) -> Collection:
    collection = get_collection(collection_id, owner)
    if collection.owner_id != viewer_id(owner):
        raise NotFound("No such collection.")
    return collection


def add_to_collection(collection: Collection, item: Item) -> None:
    if db.session.get(CollectionItem, (collection.id, item.id)) is None:
        db.session.add(CollectionItem(collection_id=collection.id, item_id=item.id))
        db.session.flush()


def remove_from_collection(collection: Collection, item_id: int) -> None:
    db.session.execute(sa.delete(CollectionItem).where(
        CollectionItem.collection_id == collection.id, CollectionItem.item_id == item_id))


def collection_items(collection: Collection, viewer) -> list[Item]:
    items = db.session.scalars(sa.select(Item).join(CollectionItem, CollectionItem.item_id == Item.id)
                               .where(CollectionItem.collection_id == collection.id)
                               .order_by(CollectionItem.added_at.desc()))
    return [item for item in items if can_view_item(viewer, item) and item.deleted_at is None]


def list_collections(owner_id: int, viewer) -> list[Collection]:
    stmt = sa.select(Collection).where(Collection.owner_id == owner_id)
    if owner_id != viewer_id(viewer):
        stmt = stmt.where(Collection.is_public.is_(True))
    return list(db.session.scalars(stmt.order_by(Collection.name)))
