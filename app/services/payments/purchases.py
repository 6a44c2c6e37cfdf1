"""Buying one_time items and refunding them.

A purchase spends the buyer's credit first, then earnings; the creator's earnings get the
price less the platform fee (PLATFORM_FEE_BPS basis points, rounded down, to the platform
account). The purchase row, the ledger transaction and the entitlement are written in one
transaction under the buyer's account locks (the creator's earnings only receive, through a
balance shard), so a double click buys once.

A refund reverses each leg of the purchase: what came from the buyer's credit goes back to
credit, what came from earnings goes back to earnings, the creator gives back their share and
the platform its fee; the entitlement is revoked, and a refund request of the purchase is
settled, in the same transaction. Who may refund what: app/services/payments/refund_policy.py."""

from __future__ import annotations

import random
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from app.models import User
from app.models.base import UTCDateTime, utcnow
from app.models.items import Entitlement, Item
from app.models.ledger import Purchase, RefundRequest
from app.models.ledger_functions import REFUSED_SQLSTATE
from app.services.accounts import users_by_id
from app.services.errors import Conflict, InsufficientFunds, NotAllowed, NotFound
from app.services.notifications import notify
from app.services.payments.amounts import dollars, parse_expected_price
from app.services.payments.ledger import (
    BALANCE_SHARDS,
    SYSTEM_FEES,
    AlreadyApplied,
    Leg,
    autocommit_connection,
    credit_code,
    earnings_code,
    items_engine,
    lock_accounts,
    money_session,
    post,
    read_session,
    retry_on_deadlock,
    users_blocked_with,
)
from app.services.payments.refund_policy import refund_option, self_refund_refusal


@dataclass
class PurchaseResult:
    purchase: Purchase
    balance: dict


def fee_for(price_cents: int) -> int:
    bps = int(current_app.config["PLATFORM_FEE_BPS"])
    return price_cents * bps // 10_000


# What a refused purchase answers, by the refusal code `dd_purchase_item` raises.
REFUSALS = {
    "not_found": lambda: NotFound("There is no such item."),
    "own_item": lambda: NotAllowed("You cannot buy your own item.", code="own_item"),
    "not_for_sale": lambda: Conflict("This item is not sold on its own.", code="not_for_sale"),
    "price_changed": lambda: Conflict("The price changed since you saw it. Look again before buying.",
                                      code="price_changed"),
    "already_owned": lambda: Conflict("You already own this item.", code="already_owned"),
    "insufficient_funds": lambda: InsufficientFunds("Not enough funds for that."),
}


@retry_on_deadlock
def purchase_item(buyer_id: int, item_id: int, expected_price_cents: int | None = None) -> PurchaseResult:
    """Buy a one_time item. 404 unknown or hidden; 403 own item; 409 already_owned or
    price_changed (when `expected_price_cents` differs); 402 insufficient_funds.

    Three statements, each on one bind: the users a block stands between the buyer and are
    read from the social bind (one autocommit statement, no lock held); the whole purchase
    is one call of `dd_purchase_item` in autocommit on the items bind
    (app/models/ledger_functions.py): one round trip, one transaction; then the creator's
    sale notification is stored on the request's session (committed with the request)."""
    expected_price_cents = parse_expected_price(expected_price_cents, strings=False)
    purchase, title, balance = _purchase_in_function(buyer_id, item_id, expected_price_cents,
                                                     users_blocked_with(buyer_id))
    notify(purchase.creator_id, "sale", actor_id=buyer_id, target_type="item", target_id=item_id,
           text=f"bought “{title[:120]}” for {dollars(purchase.price_cents)}", url=sale_url(item_id))
    return PurchaseResult(purchase, balance)


def sale_url(item_id: int) -> str:
    return f"/items/{item_id}"


PURCHASE_CALL = sa.text(
    "SELECT o_purchase_id, o_transaction_id, o_creator_id, o_title, o_price, o_fee, o_from_credit, "
    "o_credit_left, o_earnings_left FROM dd_purchase_item(:buyer_id, :item_id, "
    ":expected_price, :fee_bps, :created_at, :shard, CAST(:blocked AS bigint[]))"
).bindparams(sa.bindparam("created_at", type_=UTCDateTime()))


def _purchase_in_function(buyer_id: int, item_id: int, expected_price_cents: int | None,
                          blocked: list[int]) -> tuple[Purchase, str, dict]:
    """One call of `dd_purchase_item` in autocommit: the purchase, the item's title and the
    buyer's balance after it. A refusal raises SQLSTATE DDREF in the function, so its
    transaction rolls back whole."""
    created_at = utcnow()
    params = {"buyer_id": buyer_id, "item_id": item_id, "expected_price": expected_price_cents,
              "fee_bps": int(current_app.config["PLATFORM_FEE_BPS"]), "created_at": created_at,
              "shard": random.randrange(BALANCE_SHARDS), "blocked": blocked}
    try:
        with autocommit_connection(items_engine()) as connection:
            row = connection.execute(PURCHASE_CALL, params).one()
    except sa.exc.DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != REFUSED_SQLSTATE:
            raise
        raise REFUSALS[exc.orig.diag.message_primary]() from None
    (purchase_id, tx_id, creator_id, title, price, fee, from_credit, credit_left, earnings_left) = row
    purchase = Purchase(id=purchase_id, transaction_id=tx_id, buyer_id=buyer_id, item_id=item_id,
                        creator_id=creator_id, price_cents=price, fee_cents=fee, from_credit_cents=from_credit,
                        from_earnings_cents=price - from_credit, status="paid", created_at=created_at)
    balance = {"credit_cents": credit_left, "earnings_cents": earnings_left,
               "total_cents": credit_left + earnings_left}
    return purchase, title, balance


# The buyer's first opening of a paid part, one statement: later ones change nothing, and a
# refunded purchase is left as it is (the refund holds its row lock until it commits).
_MARK_OPENED = sa.update(Purchase).where(
    Purchase.buyer_id == sa.bindparam("opener_id"), Purchase.item_id == sa.bindparam("opened_item_id"),
    Purchase.status == "paid", Purchase.opened_at.is_(None),
).values(opened_at=sa.bindparam("now", type_=UTCDateTime()))


def record_opened(user_id: int, item_id: int) -> None:
    """Called before a paid part (a writing's text, a file, a comic's paid page) is handed to
    `user_id`: their purchase of it, if any, can no longer be refunded by them alone. Its own
    autocommit statement, so it holds whatever the request does next."""
    with autocommit_connection(items_engine()) as connection:
        connection.execute(_MARK_OPENED, {"opener_id": user_id, "opened_item_id": item_id, "now": utcnow()})


@retry_on_deadlock
def refund_purchase(actor_id: int, purchase_id: int, *, actor_is_admin: bool = False,
                    accepting: bool = False) -> Purchase:
    """Refund a paid purchase: the creator (or an admin) any time; the buyer themself as the
    refund policy allows (409 `already_opened` or `refund_window_passed` otherwise);
    `accepting` a pending refund request is the creator's (409 `already_decided` when it was
    decided meanwhile). Everything reverses in one transaction under the accounts' and the
    purchase's locks, so a second click or a concurrent decision refunds nothing more (409
    `already_refunded`)."""
    with read_session() as session:
        purchase = session.get(Purchase, purchase_id)
    if purchase is None or actor_id not in (purchase.buyer_id, purchase.creator_id) and not actor_is_admin:
        raise NotFound("There is no such purchase.")
    if accepting and actor_id != purchase.creator_id:
        raise NotFound("There is no such refund request.")
    with money_session() as session:
        codes = [credit_code(purchase.buyer_id), earnings_code(purchase.buyer_id),
                 earnings_code(purchase.creator_id), SYSTEM_FEES]
        accounts = lock_accounts(session, codes)
        purchase = session.get(Purchase, purchase_id, populate_existing=True, with_for_update=True)
        request = session.scalar(sa.select(RefundRequest).where(RefundRequest.purchase_id == purchase_id)
                                 .with_for_update())
        _check_refund(purchase, request, actor_id, actor_is_admin=actor_is_admin, accepting=accepting)
        try:
            tx_id = post(session, "refund", f"refund:{purchase.id}", [
                Leg(accounts[credit_code(purchase.buyer_id)], purchase.from_credit_cents),
                Leg(accounts[earnings_code(purchase.buyer_id)], purchase.from_earnings_cents),
                Leg(accounts[earnings_code(purchase.creator_id)], -(purchase.price_cents - purchase.fee_cents)),
                Leg(accounts[SYSTEM_FEES], -purchase.fee_cents),
            ], memo=f"Refund of purchase #{purchase.id}")
        except AlreadyApplied:
            raise Conflict("That purchase is already refunded.", code="already_refunded") from None
        except InsufficientFunds:
            raise Conflict("The creator's earnings no longer cover this refund.", code="refund_not_covered") from None
        now = utcnow()
        purchase.status, purchase.refunded_at = "refunded", now
        purchase.refund_transaction_id, purchase.refunded_by = tx_id, actor_id
        if request is not None and request.status == "pending":
            request.status, request.decided_by, request.decided_at = "accepted", actor_id, now
        for entitlement in session.scalars(sa.select(Entitlement).where(
            Entitlement.purchase_id == purchase.id, Entitlement.revoked_at.is_(None)
        )):
            entitlement.revoked_at = now
        title = session.scalar(sa.select(Item.title).where(Item.id == purchase.item_id)) or "an item"
    if not accepting:  # an accepted request tells both sides itself (refunds.accept_refund_request)
        by_buyer = actor_id == purchase.buyer_id
        notify(purchase.creator_id if by_buyer else purchase.buyer_id, "refund", actor_id=actor_id,
               target_type="item", target_id=purchase.item_id, url=f"/purchases/{purchase.id}/refund",
               text=f"refunded {'their' if by_buyer else 'your'} purchase of “{title[:120]}” "
                    f"({dollars(purchase.price_cents)})")
    return purchase


def _check_refund(purchase: Purchase, request: RefundRequest | None, actor_id: int, *, actor_is_admin: bool,
                  accepting: bool) -> None:
    """Under the locks: the purchase still paid, and the actor allowed to refund it now."""
    if purchase.status == "refunded":
        raise Conflict("That purchase is already refunded.", code="already_refunded")
    if accepting and (request is None or request.status != "pending"):
        raise Conflict("That refund request is already decided.", code="already_decided")
    if actor_id == purchase.buyer_id and actor_id != purchase.creator_id and not actor_is_admin:
        refusal = self_refund_refusal(purchase)
        if refusal is not None:
            raise refusal


def list_purchases(*, buyer_id: int | None = None, creator_id: int | None = None, limit: int = 50) -> list[Purchase]:
    query = sa.select(Purchase).order_by(Purchase.id.desc()).limit(limit)
    if buyer_id is not None:
        query = query.where(Purchase.buyer_id == buyer_id)
    if creator_id is not None:
        query = query.where(Purchase.creator_id == creator_id)
    with read_session() as session:
        return list(session.scalars(query))


@dataclass(frozen=True)
class PurchaseLine:
    """A purchase as a page lists it: its item's title, the other person, its refund request
    and what the viewer may do about a refund (refund_policy.refund_option)."""

    purchase: Purchase
    title: str
    counterpart: User | None  # the creator for a buyer's line, the buyer for a sale
    request: RefundRequest | None = None
    refund: str | None = None


def purchase_lines(purchases: list[Purchase], *, as_buyer: bool, viewer_id: int | None = None) -> list[PurchaseLine]:
    """`purchases` with their items' current titles, the other person (suspended: None), their
    refund requests and `viewer_id`'s refund option."""
    item_ids, purchase_ids = {p.item_id for p in purchases}, [p.id for p in purchases]
    titles, requests = {}, {}
    if purchases:
        with read_session() as session:
            titles = dict(session.execute(sa.select(Item.id, Item.title).where(Item.id.in_(item_ids))).all())
            requests = {r.purchase_id: r for r in session.scalars(
                sa.select(RefundRequest).where(RefundRequest.purchase_id.in_(purchase_ids)))}
    people = users_by_id({p.creator_id if as_buyer else p.buyer_id for p in purchases})
    return [PurchaseLine(p, titles.get(p.item_id, "A removed item"),
                         people.get(p.creator_id if as_buyer else p.buyer_id), requests.get(p.id),
                         refund_option(p, requests.get(p.id), viewer_id))
            for p in purchases]


def serialize_purchase(purchase: Purchase) -> dict:
    return {
        "id": purchase.id, "item_id": purchase.item_id, "buyer_id": purchase.buyer_id,
        "creator_id": purchase.creator_id, "price_cents": int(purchase.price_cents),
        "fee_cents": int(purchase.fee_cents), "from_credit_cents": int(purchase.from_credit_cents),
        "from_earnings_cents": int(purchase.from_earnings_cents), "status": purchase.status,
        "created_at": purchase.created_at.isoformat(),
        "refunded_at": purchase.refunded_at.isoformat() if purchase.refunded_at else None,
    }
