"""Loading items for a viewer: load, hide and check in one call."""

from __future__ import annotations

from app.extensions import db
from app.models.items import Item
from app.services.accounts.visibility import is_hidden_author
from app.services.errors import NotAllowed, NotFound
from app.services.ids import as_id
from app.services.items.policies import can_edit_item, can_view_item


def get_item_or_404(item_id: int | str, viewer) -> Item:
    """The item when `viewer` may see it; NotFound for a missing id, a draft of someone
    else, a deleted item the viewer never bought, or an item across a block."""
    number = as_id(item_id)
    item = db.session.get(Item, number) if number else None
    if item is None or not can_view_item(viewer, item) or is_hidden_author(item.creator_id):
        raise NotFound("No such item.", code="item_not_found")
    return item


def get_item_for_edit(item_id: int | str, viewer) -> Item:
    """The item when `viewer` may change it: NotFound when hidden, NotAllowed otherwise."""
    item = get_item_or_404(item_id, viewer)
    if not can_edit_item(viewer, item):
        raise NotAllowed("Only the creator can change this item.", code="not_item_owner")
    return item
