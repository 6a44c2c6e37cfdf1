"""Demo money for `flask seed`: grants for every user, then some purchases between demo users."""

from __future__ import annotations

import random

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.items import Item
from app.services.errors import ServiceError
from app.services.payments.grants import grant_missing
from app.services.payments.ledger import read_session
from app.services.payments.purchases import purchase_item


def seed_payments(*, purchases: int) -> dict[str, int]:
    """Idempotent enough to run twice: owned items are skipped."""
    granted = grant_missing()
    buyers = list(db.session.scalars(sa.select(User.id).where(User.username.like("demo%"))))
    with read_session() as session:
        items = session.execute(sa.select(Item.id, Item.creator_id).where(
            Item.pricing == "one_time", Item.status == "published", Item.deleted_at.is_(None))).all()
    rng = random.Random(42)
    bought = 0
    for _ in range(purchases * 3):
        if bought >= purchases or not items or not buyers:
            break
        item_id, creator_id = rng.choice(items)
        buyer_id = rng.choice(buyers)
        if buyer_id == creator_id:
            continue
        try:
            purchase_item(buyer_id, item_id)
            bought += 1
        except ServiceError:
            continue
    return {"grants": granted, "purchases": bought}
