"""Refund requests: after the buyer's own refund has closed (refund_policy.py), the buyer asks
the creator once, and the creator accepts (the purchase is refunded, in the same transaction
as the decision) or declines. Each side is told: a notification, and a mail when mail is set
up. A request and its decision are written in their own transactions on the items bind
under the request's row lock, as money is (ledger.py), so a decision is made once whatever
clicks race: an accepted request refunds once, a declined one never."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.models.base import utcnow
from app.models.items import Item
from app.models.ledger import Purchase, RefundRequest
from app.services import mail
from app.services.accounts import users_by_id
from app.services.errors import Conflict, Invalid, NotFound
from app.services.notifications import notify
from app.services.payments.amounts import dollars
from app.services.payments.ledger import money_session, read_session
from app.services.payments.purchases import PurchaseLine, purchase_lines, refund_purchase
from app.services.payments.refund_policy import request_refusal

MAX_REASON = 1000
MAX_ANSWER = 500


def refund_page(viewer_id: int, purchase_id: int) -> PurchaseLine:
    """A purchase as its refund page shows it to its buyer or its creator (NotFound for
    anyone else)."""
    with read_session() as session:
        purchase = session.get(Purchase, purchase_id)
    if purchase is None or viewer_id not in (purchase.buyer_id, purchase.creator_id):
        raise NotFound("There is no such purchase.")
    return purchase_lines([purchase], as_buyer=viewer_id == purchase.buyer_id, viewer_id=viewer_id)[0]


def latest_purchase(viewer_id: int | None, item_id: int) -> PurchaseLine | None:
    """`viewer_id`'s latest purchase of an item, for the item page's refund note."""
    if viewer_id is None:
        return None
    with read_session() as session:
        purchase = session.scalar(sa.select(Purchase).where(Purchase.buyer_id == viewer_id, Purchase.item_id == item_id)
                                  .order_by(Purchase.id.desc()).limit(1))
    return purchase_lines([purchase], as_buyer=True, viewer_id=viewer_id)[0] if purchase else None


def pending_requests(creator_id: int, limit: int = 50) -> list[tuple[RefundRequest, PurchaseLine]]:
    """The refund requests waiting for `creator_id`'s answer, oldest first."""
    with read_session() as session:
        requests = list(session.scalars(sa.select(RefundRequest).where(
            RefundRequest.creator_id == creator_id, RefundRequest.status == "pending").order_by(RefundRequest.id)
            .limit(limit)))
        purchases = {p.id: p for p in session.scalars(
            sa.select(Purchase).where(Purchase.id.in_([r.purchase_id for r in requests])))} if requests else {}
    lines = purchase_lines([purchases[r.purchase_id] for r in requests], as_buyer=False, viewer_id=creator_id)
    return list(zip(requests, lines, strict=True))


def _text(value, most: int, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > most:
        why = f"At most {most:,} characters."
        raise Invalid(why, code="validation_failed", fields={field: why})
    return value.strip()


def request_refund(buyer_id: int, purchase_id: int, reason=None, *, link: str = "") -> RefundRequest:
    """The buyer asks the creator for a refund, once, when the policy allows it (409
    `refund_yourself`, `request_window_passed`, `already_requested` or `already_refunded`
    otherwise). The creator is told. `link` is the refund page's absolute URL, for mail."""
    reason = _text(reason, MAX_REASON, "reason")
    try:
        with money_session() as session:
            purchase = session.get(Purchase, purchase_id, with_for_update=True)
            if purchase is None or purchase.buyer_id != buyer_id:
                raise NotFound("There is no such purchase.")
            if purchase.status != "paid":
                raise Conflict("That purchase is already refunded.", code="already_refunded")
            refusal = request_refusal(purchase)
            if refusal is not None:
                raise refusal
            request = RefundRequest(purchase_id=purchase.id, buyer_id=buyer_id, creator_id=purchase.creator_id,
                                    item_id=purchase.item_id, reason=reason)
            session.add(request)
    except IntegrityError:  # one request per purchase: this one was asked already
        raise Conflict("You already asked for a refund of this purchase.", code="already_requested") from None
    title = _title(purchase.item_id)
    notify(purchase.creator_id, "refund_request", actor_id=buyer_id, target_type="item", target_id=purchase.item_id,
           text=f"asked for a refund of “{title[:120]}” ({dollars(purchase.price_cents)})",
           url=f"/purchases/{purchase.id}/refund")
    _mail(purchase.creator_id, "refund_request", f"A refund request for “{title}”", purchase, request, title, link)
    return request


def accept_refund_request(creator_id: int, purchase_id: int, *, link: str = "") -> Purchase:
    """The creator accepts: the purchase is refunded and the request settled in one
    transaction (refund_purchase). Both are told."""
    purchase = refund_purchase(creator_id, purchase_id, accepting=True)
    _tell_outcome(purchase, request_of(purchase_id), link)
    return purchase


def decline_refund_request(creator_id: int, purchase_id: int, answer=None, *, link: str = "") -> RefundRequest:
    """The creator declines (with an optional word for the buyer); nothing is refunded, and a
    request decided meanwhile is left as it was (409 `already_decided`). Both are told."""
    answer = _text(answer, MAX_ANSWER, "answer")
    with money_session() as session:
        request = session.scalar(sa.select(RefundRequest).where(RefundRequest.purchase_id == purchase_id)
                                 .with_for_update())
        if request is None or request.creator_id != creator_id:
            raise NotFound("There is no such refund request.")
        if request.status != "pending":
            raise Conflict("That refund request is already decided.", code="already_decided")
        request.status, request.answer = "declined", answer
        request.decided_by, request.decided_at = creator_id, utcnow()
        purchase = session.get(Purchase, purchase_id)
    _tell_outcome(purchase, request, link)
    return request


def request_of(purchase_id: int) -> RefundRequest | None:
    with read_session() as session:
        return session.scalar(sa.select(RefundRequest).where(RefundRequest.purchase_id == purchase_id))


def serialize_request(request: RefundRequest) -> dict:
    return {"id": request.id, "purchase_id": request.purchase_id, "item_id": request.item_id,
            "buyer_id": request.buyer_id, "creator_id": request.creator_id, "reason": request.reason,
            "status": request.status, "answer": request.answer, "created_at": request.created_at.isoformat(),
            "decided_at": request.decided_at.isoformat() if request.decided_at else None}


def _title(item_id: int) -> str:
    with read_session() as session:
        return session.scalar(sa.select(Item.title).where(Item.id == item_id)) or "an item"


def _tell_outcome(purchase: Purchase, request: RefundRequest, link: str) -> None:
    title = _title(purchase.item_id)
    accepted = request.status == "accepted"
    outcome = (f"refunded your purchase of “{title[:120]}” ({dollars(purchase.price_cents)})" if accepted
               else f"declined your refund request for “{title[:120]}”")
    url = f"/purchases/{purchase.id}/refund"
    notify(purchase.buyer_id, "refund_decided", actor_id=purchase.creator_id, target_type="item",
           target_id=purchase.item_id, text=outcome, url=url)
    # The creator's own record of the outcome, under the buyer's name (notify skips one's own acts).
    notify(purchase.creator_id, "refund_decided", actor_id=purchase.buyer_id, target_type="item",
           target_id=purchase.item_id, url=url,
           text=f"refund request for “{title[:120]}”: you {'refunded' if accepted else 'declined'} it")
    subject = f"Refund {'accepted' if accepted else 'declined'}: “{title}”"
    for user_id in (purchase.buyer_id, purchase.creator_id):
        _mail(user_id, "refund_decided", subject, purchase, request, title, link)


def _mail(to_id: int, template: str, subject: str, purchase: Purchase, request: RefundRequest, title: str,
          link: str) -> None:
    """A mail about a refund request, after the commit, when mail is set up."""
    if not mail.is_configured():
        return
    people = users_by_id({purchase.buyer_id, purchase.creator_id})
    to = people.get(to_id)  # a suspended account gets no mail
    if to is None or not to.email:
        return
    buyer, creator = (people[i].name if i in people else "A former member"
                      for i in (purchase.buyer_id, purchase.creator_id))
    mail.send_after_commit(mail.OutgoingMail(
        to=to.email, subject=subject, template=template, user_id=to_id,
        context={"name": to.name, "to_buyer": to_id == purchase.buyer_id, "buyer": buyer, "creator": creator,
                 "title": title, "price": dollars(purchase.price_cents), "status": request.status,
                 "reason": request.reason, "answer": request.answer, "link": link}))
