"""Reviews: 1 to 5 and a text, one per user and item; for a paid item only by those
entitled to it, for a free one by anyone signed in (never the creator)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.items import Item, Review
from app.services.errors import Conflict, Invalid, NotAllowed, Unauthorized
from app.services.ids import as_id
from app.services.items.policies import can_review_item, is_creator, viewer_id
from app.services.items.search import clean_limit
from app.services.notifications import notify
from app.services.numbers import to_int


def clean_review(rating, body) -> tuple[int, str]:
    errors = {}
    rating = to_int(rating, minimum=1, maximum=5)
    if rating is None:
        errors["rating"] = "Rate from 1 to 5."
    if body is not None and not isinstance(body, str):
        errors["body"] = "Must be text."
    elif body and len(body) > 5000:
        errors["body"] = "At most 5,000 characters."
    if errors:
        raise Invalid("Some fields need another look.", code="validation_failed", fields=errors)
    return rating, (body or "").strip()


def create_review(viewer, item: Item, rating, body) -> Review:
    if viewer_id(viewer) is None:
        raise Unauthorized("Sign in to review.")
    rating, body = clean_review(rating, body)
    if not can_review_item(viewer, item):
        why = "You cannot review your own item." if is_creator(viewer, item) else \
            "Only those who bought or subscribed can review a paid item."
        raise NotAllowed(why, code="review_not_allowed")
    exists = db.session.scalar(sa.select(Review.id).where(Review.item_id == item.id, Review.user_id == viewer.id))
    if exists:
        raise Conflict("You have already reviewed this item.", code="already_reviewed")
    review = Review(item_id=item.id, user_id=viewer.id, rating=rating, body=body)
    try:
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        raise Conflict("You have already reviewed this item.", code="already_reviewed") from None
    db.session.execute(sa.update(Item).where(Item.id == item.id).values(
        rating_sum=Item.rating_sum + rating, review_count=Item.review_count + 1,
        popularity=Item.popularity + 1))
    db.session.refresh(item)
    notify(item.creator_id, "review", actor_id=viewer.id, target_type="item", target_id=item.id,
           text=f"reviewed “{item.title}” ({rating}/5)", url=f"/items/{item.id}")
    return review


def list_reviews(item: Item, *, cursor=None, limit=20) -> tuple[list[Review], str | None]:
    limit = clean_limit(limit)
    stmt = sa.select(Review).where(Review.item_id == item.id)
    if cursor not in (None, ""):
        before = as_id(cursor)
        if before is None:
            raise Invalid("That page link is not valid.", code="invalid_cursor", fields={"cursor": "Not valid."})
        stmt = stmt.where(Review.id < before)
    rows = list(db.session.scalars(stmt.order_by(Review.id.desc()).limit(limit + 1)))
    return rows[:limit], (str(rows[limit - 1].id) if len(rows) > limit else None)


def review_by(viewer, item: Item) -> Review | None:
    uid = viewer_id(viewer)
    if uid is None:
        return None
    return db.session.scalar(sa.select(Review).where(Review.item_id == item.id, Review.user_id == uid))
