"""The refund policy, as pure predicates over a purchase, its refund request and a person
(services enforce it; pages use it to show only the buttons it allows):

- the buyer refunds a purchase themself within SELF_REFUND_WINDOW of buying it, as long as
  they have not opened or downloaded the paid part (`Purchase.opened_at`);
- after that, within REQUEST_WINDOW, the buyer may ask the creator once: the creator accepts
  (the purchase is refunded) or declines, and both are told;
- the creator (and an operator) may refund any purchase that is still paid.

A refund returns each leg of the purchase to where it came from and ends the access."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.models.base import utcnow
from app.models.ledger import Purchase, RefundRequest
from app.services.errors import Conflict

SELF_REFUND_WINDOW = timedelta(hours=48)
REQUEST_WINDOW = timedelta(days=30)

# What a person may do about a purchase (`refund_option`).
SELF = "self"  # the buyer may refund it now
REQUEST = "request"  # the buyer may ask the creator
REQUESTED = "requested"  # the buyer asked; the creator has not answered
DECLINED = "declined"  # the creator declined the buyer's request
DECIDE = "decide"  # the creator has a request to answer
REFUND = "refund"  # the creator may refund the buyer


def self_refund_refusal(purchase: Purchase, now: datetime | None = None) -> Conflict | None:
    """Why the buyer cannot refund `purchase` themself (a Conflict to raise), or None."""
    now = now or utcnow()
    if purchase.opened_at is not None:
        return Conflict("You opened or downloaded what you paid for, so only the creator can refund it now: "
                        "ask them from the refund page.", code="already_opened")
    if now - purchase.created_at > SELF_REFUND_WINDOW:
        return Conflict("You can refund a purchase yourself within 48 hours of buying it; after that, ask the "
                        "creator from the refund page.", code="refund_window_passed")
    return None


def request_refusal(purchase: Purchase, now: datetime | None = None) -> Conflict | None:
    """Why the buyer cannot ask for a refund of `purchase` (a Conflict to raise), or None."""
    now = now or utcnow()
    if self_refund_refusal(purchase, now) is None:
        return Conflict("You can still refund this yourself, at once: no need to ask.", code="refund_yourself")
    if now - purchase.created_at > REQUEST_WINDOW:
        return Conflict("Refunds can be asked for within 30 days of buying.", code="request_window_passed")
    return None


def self_refund_until(purchase: Purchase) -> datetime:
    return purchase.created_at + SELF_REFUND_WINDOW


def request_until(purchase: Purchase) -> datetime:
    return purchase.created_at + REQUEST_WINDOW


def refund_option(purchase: Purchase, request: RefundRequest | None, viewer_id: int | None,
                  now: datetime | None = None) -> str | None:
    """What `viewer_id` may do about `purchase` now (one of the constants above), or None."""
    if purchase.status != "paid" or viewer_id is None:
        return None
    pending = request is not None and request.status == "pending"
    if viewer_id == purchase.creator_id:
        return DECIDE if pending else REFUND
    if viewer_id != purchase.buyer_id:
        return None
    if request is not None:
        return REQUESTED if pending else DECLINED
    if self_refund_refusal(purchase, now) is None:
        return SELF
    if request_refusal(purchase, now) is None:
        return REQUEST
    return None
