"""Buying one_time items and refunding them.

A purchase spends the buyer's credit first, then earnings; the creator's earnings get the
price less the platform fee (PLATFORM_FEE_BPS basis points, rounded down, to the platform
account). The purchase row, the ledger transaction and the entitlement are written in one
transaction under the buyer's account locks (the creator's earnings only receive, through a
balance shard), so a double click buys once.

A refund reverses each leg of the purchase: what came from the buyer's credit goes back to
credit, what came from earnings goes back to earnings, the creator gives back their share and
the platform its fee; the entitlement is revoked in the same transaction."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.models.base import UTCDateTime, utcnow
from app.models.items import Entitlement, Item
from app.models.ledger import ContentDownload, Purchase
from app.models.ledger_functions import REFUSED_SQLSTATE
from app.services.broker import publish, user_channel
from app.services.errors import Conflict, InsufficientFunds, Invalid, NotAllowed, NotFound
from app.services.notifications import notify
from app.services.payments.amounts import dollars
from app.services.payments.ledger import (
    BALANCE_SHARDS,
    SYSTEM_FEES,
    AlreadyApplied,
    Leg,
    autocommit_connection,
    blocked_between,
    credit_code,
    earnings_code,
    items_engine,
    lock_accounts,
    money_connection,
    money_session,
    post,
    read_session,
    retry_on_deadlock,
    users_blocked_with,
)
from app.services.stores import same_database

BUYER_REFUND_WINDOW = timedelta(hours=48)


@dataclass
class PurchaseResult:
    purchase: Purchase
    balance: dict


def fee_for(price_cents: int) -> int:
    bps = int(current_app.config["PLATFORM_FEE_BPS"])
    return price_cents * bps // 10_000


ITEMS = Item.__table__
PURCHASES = Purchase.__table__
ENTITLEMENTS = Entitlement.__table__

# The item as the purchase sees it: published and not deleted, or nothing.
SALE_ITEM = sa.select(ITEMS.c.creator_id, ITEMS.c.title, ITEMS.c.pricing, ITEMS.c.price_cents).where(
    ITEMS.c.id == sa.bindparam("item_id"), ITEMS.c.status == "published", ITEMS.c.deleted_at.is_(None)
)

INSERT_PURCHASE = sa.insert(PURCHASES).returning(PURCHASES.c.id)
SET_TRANSACTION = sa.update(PURCHASES).where(PURCHASES.c.id == sa.bindparam("purchase_id")).values(
    transaction_id=sa.bindparam("transaction_id")
)


# What a refused purchase answers, by refusal code: the same on both paths.
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

    On PostgreSQL: the users a block stands between the buyer and are read from the social
    bind (one autocommit statement, no lock held), then the whole purchase is one call of
    `dd_purchase_item` in autocommit (app/models/ledger_functions.py): one round trip, one
    transaction. Elsewhere (SQLite): one transaction of nine statements and COMMIT
    (SQLAlchemy Core): the item; the buyer's accounts locked (and the seller's earnings and
    the fee account read); the purchase row; the entitlement; the ledger transaction and its
    entries; the purchase's transaction id; the buyer's balance; the seller's balance shard;
    the block check reads the social bind between the item and the lock. Both paths then
    store the creator's sale notification on the request's session."""
    if expected_price_cents is not None and (
        isinstance(expected_price_cents, bool) or not isinstance(expected_price_cents, int)
        or expected_price_cents < 0
    ):
        raise Invalid("expected_price_cents must be whole cents.", code="invalid_amount",
                      fields={"expected_price_cents": "Whole cents only."})
    if items_engine().dialect.name == "postgresql":
        purchase, title, balance, notified = _purchase_in_function(buyer_id, item_id, expected_price_cents)
    else:
        purchase, title, balance, notified = _purchase_in_python(buyer_id, item_id, expected_price_cents)
    if not notified:
        notify(purchase.creator_id, "sale", actor_id=buyer_id, target_type="item", target_id=item_id,
               text=f"bought “{title[:120]}” for {dollars(purchase.price_cents)}", url=sale_url(item_id))
    return PurchaseResult(purchase, balance)


def sale_url(item_id: int) -> str:
    return f"/items/{item_id}"


def _balance(credit_left: int, earnings_left: int) -> dict:
    return {"credit_cents": credit_left, "earnings_cents": earnings_left, "total_cents": credit_left + earnings_left}


PURCHASE_CALL = sa.text(
    "SELECT o_purchase_id, o_transaction_id, o_creator_id, o_title, o_price, o_fee, o_from_credit, "
    "o_credit_left, o_earnings_left, o_notification_id FROM dd_purchase_item(:buyer_id, :item_id, "
    ":expected_price, :fee_bps, :created_at, :shard, CAST(:blocked AS bigint[]), CAST(:note_url AS text))"
).bindparams(sa.bindparam("created_at", type_=UTCDateTime()))


def _purchase_in_function(buyer_id: int, item_id: int, expected_price_cents: int | None):
    """The PostgreSQL path: one call of `dd_purchase_item` in autocommit. A refusal raises
    SQLSTATE DDREF in the function, so its transaction rolls back whole.

    Where the `social` bind is the same database (the deployment), the function also reads
    the blocks itself and writes the creator's sale notification in the purchase's own
    transaction (then announced at once: it is committed): the purchase is one round trip.
    Otherwise the blocks are read first from the social bind, and `notify` writes the
    notification on the request's session."""
    joined = same_database("social", "items", dialect="postgresql")
    created_at = utcnow()
    params = {"buyer_id": buyer_id, "item_id": item_id, "expected_price": expected_price_cents,
              "fee_bps": int(current_app.config["PLATFORM_FEE_BPS"]), "created_at": created_at,
              "shard": random.randrange(BALANCE_SHARDS),
              "blocked": None if joined else users_blocked_with(buyer_id),
              "note_url": sale_url(item_id) if joined else None}
    try:
        with autocommit_connection(items_engine()) as connection:
            row = connection.execute(PURCHASE_CALL, params).one()
    except sa.exc.DBAPIError as exc:
        if getattr(exc.orig, "pgcode", None) != REFUSED_SQLSTATE:
            raise
        raise REFUSALS[exc.orig.diag.message_primary]() from None
    (purchase_id, tx_id, creator_id, title, price, fee, from_credit, credit_left, earnings_left, note_id) = row
    purchase = Purchase(id=purchase_id, transaction_id=tx_id, buyer_id=buyer_id, item_id=item_id,
                        creator_id=creator_id, price_cents=price, fee_cents=fee, from_credit_cents=from_credit,
                        from_earnings_cents=price - from_credit, status="paid", created_at=created_at)
    if note_id is not None:
        publish(user_channel(creator_id), {"type": "notification", "id": note_id, "kind": "sale"})
    return purchase, title, _balance(credit_left, earnings_left), joined


def _purchase_in_python(buyer_id: int, item_id: int, expected_price_cents: int | None):
    """The SQLite path (and the model of `dd_purchase_item`): one money transaction."""
    with money_connection() as connection:
        item = connection.execute(SALE_ITEM, {"item_id": item_id}).first()
        if item is None or blocked_between(buyer_id, item.creator_id):
            raise REFUSALS["not_found"]()
        if item.creator_id == buyer_id:
            raise REFUSALS["own_item"]()
        price = int(item.price_cents)
        if item.pricing != "one_time" or price <= 0:
            raise REFUSALS["not_for_sale"]()
        if expected_price_cents is not None and expected_price_cents != price:
            raise REFUSALS["price_changed"]()
        credit, earnings, seller = credit_code(buyer_id), earnings_code(buyer_id), earnings_code(item.creator_id)
        accounts = lock_accounts(connection, [credit, earnings, SYSTEM_FEES], credit_only=[seller])
        # Credit first, then earnings; the seller gets the price less the platform fee.
        from_credit = min(price, accounts[credit].balance_cents)
        fee = fee_for(price)
        row = {"buyer_id": buyer_id, "item_id": item_id, "creator_id": item.creator_id, "price_cents": price,
               "fee_cents": fee, "from_credit_cents": from_credit, "from_earnings_cents": price - from_credit,
               "status": "paid", "created_at": utcnow()}
        purchase_id = connection.scalar(INSERT_PURCHASE, row)
        # The buyer's locks serialize their purchases, and the unique index of active
        # entitlements refuses a second one: a double click buys once.
        if not _entitle(connection, buyer_id, item_id, purchase_id):
            raise REFUSALS["already_owned"]()
        tx_id = post(connection, "purchase", f"purchase:{purchase_id}", [
            Leg(accounts[credit], -from_credit), Leg(accounts[earnings], -(price - from_credit)),
            Leg(accounts[seller], price - fee), Leg(accounts[SYSTEM_FEES], fee),
        ], memo=f"Bought “{item.title[:200]}”", check_key=False)
        connection.execute(SET_TRANSACTION, {"purchase_id": purchase_id, "transaction_id": tx_id})
        credit_left, earnings_left = accounts[credit].balance_cents, accounts[earnings].balance_cents
    return (Purchase(id=purchase_id, transaction_id=tx_id, **row), item.title, _balance(credit_left, earnings_left),
            False)


# SQL text: SQLAlchemy does not cache its compiled ON CONFLICT constructs. The conflict
# target is the unique index of active entitlements (uq_entitlements_active).
ENTITLE = sa.text(
    "INSERT INTO entitlements (user_id, item_id, source, purchase_id, created_at) "
    "VALUES (:user_id, :item_id, 'purchase', :purchase_id, :created_at) "
    "ON CONFLICT (user_id, item_id) WHERE revoked_at IS NULL DO NOTHING "
    "RETURNING id"
).bindparams(sa.bindparam("created_at", type_=UTCDateTime()))


def _entitle(connection: sa.Connection, user_id: int, item_id: int, purchase_id: int) -> bool:
    """Give the entitlement of a purchase; False when the user already has an active one."""
    row = {"user_id": user_id, "item_id": item_id, "purchase_id": purchase_id, "created_at": utcnow()}
    return connection.scalar(ENTITLE, row) is not None


def record_download(user_id: int, item_id: int) -> None:
    """Called when a paid file is handed out: the buyer can no longer refund it themself.
    Writes through its own short transaction (the download route need not commit)."""
    with money_session() as session:
        session.add(ContentDownload(user_id=user_id, item_id=item_id))


def has_downloaded(session, user_id: int, item_id: int) -> bool:
    return session.scalar(
        sa.select(ContentDownload.id).where(ContentDownload.user_id == user_id, ContentDownload.item_id == item_id).limit(1)
    ) is not None


@retry_on_deadlock
def refund_purchase(actor_id: int, purchase_id: int, *, actor_is_admin: bool = False) -> Purchase:
    """The creator (or an admin) refunds any purchase; the buyer refunds their own within 48
    hours when the content was not downloaded. Everything reverses in one transaction."""
    with read_session() as session:
        purchase = session.get(Purchase, purchase_id)
    if purchase is None or actor_id not in (purchase.buyer_id, purchase.creator_id) and not actor_is_admin:
        raise NotFound("There is no such purchase.")
    with money_session() as session:
        codes = [credit_code(purchase.buyer_id), earnings_code(purchase.buyer_id),
                 earnings_code(purchase.creator_id), SYSTEM_FEES]
        accounts = lock_accounts(session, codes)
        purchase = session.get(Purchase, purchase_id, populate_existing=True)
        if purchase.status == "refunded":
            raise Conflict("That purchase is already refunded.", code="already_refunded")
        if actor_id == purchase.buyer_id and actor_id != purchase.creator_id and not actor_is_admin:
            if utcnow() - purchase.created_at > BUYER_REFUND_WINDOW:
                raise Conflict("Refunds are possible within 48 hours of buying.", code="refund_window_passed")
            if has_downloaded(session, purchase.buyer_id, purchase.item_id):
                raise Conflict("Downloaded content cannot be refunded by the buyer.", code="already_downloaded")
        try:
            tx_id = post(session, "refund", f"refund:{purchase.id}", [
                Leg(accounts[credit_code(purchase.buyer_id)], purchase.from_credit_cents),
                Leg(accounts[earnings_code(purchase.buyer_id)], purchase.from_earnings_cents),
                Leg(accounts[earnings_code(purchase.creator_id)], -(purchase.price_cents - purchase.fee_cents)),
                Leg(accounts[SYSTEM_FEES], -purchase.fee_cents),
            ], memo=f"Refund of purchase #{purchase.id}")
        except AlreadyApplied:
            raise Conflict("That purchase is already refunded.", code="already_refunded") from None
        except Exception as exc:
            if isinstance(exc, InsufficientFunds):
                raise Conflict("The creator's earnings no longer cover this refund.",
                               code="refund_not_covered") from None
            raise
        purchase.status, purchase.refunded_at = "refunded", utcnow()
        purchase.refund_transaction_id, purchase.refunded_by = tx_id, actor_id
        for entitlement in session.scalars(sa.select(Entitlement).where(
            Entitlement.purchase_id == purchase.id, Entitlement.revoked_at.is_(None)
        )):
            entitlement.revoked_at = utcnow()
    other = purchase.creator_id if actor_id == purchase.buyer_id else purchase.buyer_id
    notify(other, "refund", actor_id=actor_id, target_type="item", target_id=purchase.item_id,
           text=f"refunded a purchase of {dollars(purchase.price_cents)}", url="/wallet")
    return purchase


def list_purchases(*, buyer_id: int | None = None, creator_id: int | None = None, limit: int = 50) -> list[Purchase]:
    query = sa.select(Purchase).order_by(Purchase.id.desc()).limit(limit)
    if buyer_id is not None:
        query = query.where(Purchase.buyer_id == buyer_id)
    if creator_id is not None:
        query = query.where(Purchase.creator_id == creator_id)
    with read_session() as session:
        return list(session.scalars(query))


def serialize_purchase(purchase: Purchase) -> dict:
    return {
        "id": purchase.id, "item_id": purchase.item_id, "buyer_id": purchase.buyer_id,
        "creator_id": purchase.creator_id, "price_cents": int(purchase.price_cents),
        "fee_cents": int(purchase.fee_cents), "from_credit_cents": int(purchase.from_credit_cents),
        "from_earnings_cents": int(purchase.from_earnings_cents), "status": purchase.status,
        "created_at": purchase.created_at.isoformat(),
        "refunded_at": purchase.refunded_at.isoformat() if purchase.refunded_at else None,
    }
