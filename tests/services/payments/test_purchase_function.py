"""The purchase (`dd_purchase_item`, one call in autocommit on the items bind): every rule
of a purchase gives its answer and leaves exactly its rows, balances and sale notification,
and every refusal writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.items import Entitlement
from app.models.ledger import LedgerAccount, LedgerBalanceShard, LedgerEntry, LedgerTransaction, Purchase
from app.models.social import Notification
from app.services.errors import ServiceError
from app.services.payments import purchases
from app.services.payments.ledger import read_session, verify_ledger
from tests.factories import UserFactory, block, fund, make_item, mute

LONG_TITLE = "Cheap “quoted” — long " + "x" * 90
LEDGER_TABLES = (Purchase, Entitlement, LedgerTransaction, LedgerEntry, LedgerAccount, LedgerBalanceShard)


def ledger_rows() -> dict:
    """Every row of the ledger's tables, as plain tuples (what "nothing written" compares)."""
    with read_session() as session:
        return {model.__tablename__: sorted(tuple(row) for row in session.execute(sa.select(model.__table__)))
                for model in LEDGER_TABLES}


def attempt(buyer_id: int, item_id: int, expected: int | None = None):
    """A purchase's answer: what it returned, or the refusal (class, code, status)."""
    try:
        result = purchases.purchase_item(buyer_id, item_id, expected)
    except ServiceError as exc:
        return ("refused", type(exc).__name__, exc.code, exc.status, exc.message)
    finally:
        db.session.commit()  # the request's unit of work: the sale notification
    p = result.purchase
    return ("bought", p.price_cents, p.fee_cents, p.from_credit_cents, p.from_earnings_cents, p.status,
            result.balance)


def scenario() -> tuple[list, dict]:
    """One world (a buyer, two creators, a newcomer with no accounts) and every rule of a
    purchase; returns the answers and the world's final state, with ids replaced by names."""
    buyer, first, second, newcomer = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    roles = {buyer.id: "buyer", first.id: "first", second.id: "second", newcomer.id: "newcomer"}
    fund(buyer, credit=600, earnings=1000)
    fund(second, credit=205_000)
    items = {
        "dear": make_item(first, price_cents=1000, title="Dear"),
        "cheap": make_item(first, price_cents=5, title=LONG_TITLE),  # fee rounds to 0
        "buyers": make_item(buyer, price_cents=700, title="The buyer's own"),
        "too_dear": make_item(first, price_cents=2000, title="Too dear"),
        "exact": make_item(first, price_cents=1225, title="Exact"),
        "draft": make_item(first, status="draft", title="Draft"),
        "subscription": make_item(first, pricing="subscription", price_cents=0, title="Subscription"),
        "deleted": make_item(first, title="Deleted"),
        "blocked": make_item(second, price_cents=100, title="Across a block"),
        "grand": make_item(first, price_cents=123_456, title="Grand"),  # "$1,234.56" in the notification
        "muted": make_item(first, price_cents=100, title="From a muted buyer"),
    }
    items["deleted"].deleted_at = utcnow()
    db.session.commit()
    names = {item.id: name for name, item in items.items()}
    ids = {name: item.id for name, item in items.items()}
    answers = [
        attempt(buyer.id, ids["dear"], 1000),  # 600 from credit, 400 from earnings
        attempt(buyer.id, ids["dear"]),  # already owned
        attempt(buyer.id, ids["cheap"]),  # from earnings, no fee leg
        attempt(second.id, ids["buyers"]),  # the buyer's earnings get a shard
        attempt(buyer.id, ids["too_dear"]),  # 595 + the 630 shard is short: refused, the shard stays
        attempt(buyer.id, ids["exact"], 1200),  # price changed
        attempt(buyer.id, ids["exact"], 1225),  # the shard folds in: exactly enough
        attempt(buyer.id, ids["dear"]),  # already owned wins over insufficient funds
        attempt(buyer.id, ids["buyers"]),  # own item
        attempt(buyer.id, ids["draft"]),
        attempt(buyer.id, ids["subscription"]),
        attempt(buyer.id, ids["deleted"]),
        attempt(buyer.id, 10_000_000),  # no such item
        attempt(newcomer.id, ids["dear"]),  # no accounts at all: refused, none are made
    ]
    answers.append(attempt(second.id, ids["grand"]))
    mute(first, second)
    answers.append(attempt(second.id, ids["muted"]))  # bought; the creator is not told
    block(second, buyer)
    answers.append(attempt(buyer.id, ids["blocked"]))
    return answers, world_state(roles, names)


def world_state(roles: dict, names: dict) -> dict:
    def role(user_id):
        return roles.get(user_id, "system" if user_id is None else "stranger")

    second = timedelta(seconds=1)
    with read_session() as session:
        accounts = {a.id: a for a in session.scalars(sa.select(LedgerAccount))}
        mine = {i: a for i, a in accounts.items() if a.user_id in roles}
        shards = {}
        for shard in session.scalars(sa.select(LedgerBalanceShard)):
            shards.setdefault(shard.account_id, []).append(shard.balance_cents)
        balances = {(role(a.user_id), a.kind): (a.balance_cents, sum(shards.get(i, []))) for i, a in mine.items()}
        purchase_rows = session.scalars(sa.select(Purchase).where(Purchase.buyer_id.in_(roles)).order_by(Purchase.id)).all()
        tx_ids = [p.transaction_id for p in purchase_rows]
        entries = {}
        for entry in session.scalars(sa.select(LedgerEntry).where(LedgerEntry.transaction_id.in_(tx_ids))
                                     .order_by(LedgerEntry.id)):
            account = accounts[entry.account_id]
            entries.setdefault(entry.transaction_id, []).append((role(account.user_id), account.kind,
                                                                 entry.amount_cents))
        txs = {t.id: t for t in session.scalars(sa.select(LedgerTransaction).where(LedgerTransaction.id.in_(tx_ids)))}
        bought = [(role(p.buyer_id), names[p.item_id], role(p.creator_id), p.price_cents, p.fee_cents,
                   p.from_credit_cents, p.from_earnings_cents, p.status, txs[p.transaction_id].kind,
                   txs[p.transaction_id].idempotency_key == f"purchase:{p.id}", txs[p.transaction_id].memo,
                   entries[p.transaction_id], abs(txs[p.transaction_id].created_at - p.created_at) < second)
                  for p in purchase_rows]
        purchase_index = {p.id: n for n, p in enumerate(purchase_rows)}
        entitled = [(role(e.user_id), names[e.item_id], e.source, purchase_index[e.purchase_id], e.revoked_at)
                    for e in session.scalars(sa.select(Entitlement).where(Entitlement.user_id.in_(roles))
                                             .order_by(Entitlement.id))]
        problems = verify_ledger(session)
    db.session.rollback()
    notices = [(role(n.user_id), n.kind, role(n.actor_id), n.target_type, names.get(int(n.target_id)), n.text, n.url
                .replace(str(int(n.target_id)), names.get(int(n.target_id), "?")))
               for n in db.session.scalars(sa.select(Notification).where(Notification.user_id.in_(roles))
                                           .order_by(Notification.id))]
    return {"balances": balances, "purchases": bought, "entitlements": entitled, "notifications": notices,
            "problems": problems}


BOUGHT_DEAR = ("bought", 1000, 100, 600, 400, "paid", {"credit_cents": 0, "earnings_cents": 600, "total_cents": 600})
ALREADY_OWNED = ("refused", "Conflict", "already_owned", 409, "You already own this item.")
NOT_FOUND = ("refused", "NotFound", "not_found", 404, "There is no such item.")
INSUFFICIENT = ("refused", "InsufficientFunds", "insufficient_funds", 402, "Not enough funds for that.")

EXPECTED_ANSWERS = [
    BOUGHT_DEAR,
    ALREADY_OWNED,
    ("bought", 5, 0, 0, 5, "paid", {"credit_cents": 0, "earnings_cents": 595, "total_cents": 595}),
    ("bought", 700, 70, 700, 0, "paid", {"credit_cents": 204300, "earnings_cents": 0, "total_cents": 204300}),
    INSUFFICIENT,
    ("refused", "Conflict", "price_changed", 409, "The price changed since you saw it. Look again before buying."),
    ("bought", 1225, 122, 0, 1225, "paid", {"credit_cents": 0, "earnings_cents": 0, "total_cents": 0}),
    ALREADY_OWNED,
    ("refused", "NotAllowed", "own_item", 403, "You cannot buy your own item."),
    NOT_FOUND,
    ("refused", "Conflict", "not_for_sale", 409, "This item is not sold on its own."),
    NOT_FOUND,
    NOT_FOUND,
    INSUFFICIENT,
    ("bought", 123456, 12345, 123456, 0, "paid", {"credit_cents": 80844, "earnings_cents": 0, "total_cents": 80844}),
    ("bought", 100, 10, 100, 0, "paid", {"credit_cents": 80744, "earnings_cents": 0, "total_cents": 80744}),
    NOT_FOUND,
]


def bought(buyer, item, creator, price, fee, from_credit, memo, legs):
    return (buyer, item, creator, price, fee, from_credit, price - from_credit, "paid", "purchase", True, memo,
            legs, True)


EXPECTED_STATE = {
    "balances": {
        ("buyer", "credit"): (0, 0),
        ("buyer", "earnings"): (0, 0),  # folded, then spent to the cent
        ("first", "earnings"): (0, 113209),
        ("second", "credit"): (80744, 0),
        ("second", "earnings"): (0, 0),
    },
    "purchases": [
        bought("buyer", "dear", "first", 1000, 100, 600, "Bought “Dear”", [
            ("buyer", "credit", -600), ("buyer", "earnings", -400), ("first", "earnings", 900),
            ("system", "platform_fees", 100)]),
        bought("buyer", "cheap", "first", 5, 0, 0, f"Bought “{LONG_TITLE}”", [  # no fee leg
            ("buyer", "earnings", -5), ("first", "earnings", 5)]),
        bought("second", "buyers", "buyer", 700, 70, 700, "Bought “The buyer's own”", [
            ("second", "credit", -700), ("buyer", "earnings", 630), ("system", "platform_fees", 70)]),
        bought("buyer", "exact", "first", 1225, 122, 0, "Bought “Exact”", [
            ("buyer", "earnings", -1225), ("first", "earnings", 1103), ("system", "platform_fees", 122)]),
        bought("second", "grand", "first", 123456, 12345, 123456, "Bought “Grand”", [
            ("second", "credit", -123456), ("first", "earnings", 111111), ("system", "platform_fees", 12345)]),
        bought("second", "muted", "first", 100, 10, 100, "Bought “From a muted buyer”", [
            ("second", "credit", -100), ("first", "earnings", 90), ("system", "platform_fees", 10)]),
    ],
    "entitlements": [
        ("buyer", "dear", "purchase", 0, None),
        ("buyer", "cheap", "purchase", 1, None),
        ("second", "buyers", "purchase", 2, None),
        ("buyer", "exact", "purchase", 3, None),
        ("second", "grand", "purchase", 4, None),
        ("second", "muted", "purchase", 5, None),
    ],
    "notifications": [  # none for the muted buyer's purchase
        ("first", "sale", "buyer", "item", "dear", "bought “Dear” for $10.00", "/items/dear"),
        ("first", "sale", "buyer", "item", "cheap", f"bought “{LONG_TITLE}” for $0.05", "/items/cheap"),
        ("buyer", "sale", "second", "item", "buyers", "bought “The buyer's own” for $7.00", "/items/buyers"),
        ("first", "sale", "buyer", "item", "exact", "bought “Exact” for $12.25", "/items/exact"),
        ("first", "sale", "second", "item", "grand", "bought “Grand” for $1,234.56", "/items/grand"),
    ],
    "problems": [],
}


def test_every_rule_of_a_purchase_gives_its_answer_and_its_rows(app):
    answers, state = scenario()
    assert answers == EXPECTED_ANSWERS
    assert state == EXPECTED_STATE
    assert ("newcomer", "credit") not in state["balances"]  # refused before any account is made


@pytest.mark.parametrize("fee_bps", [0, 10_000])
def test_fee_extremes(app, fee_bps, monkeypatch):
    """No fee at all, or all of the price as fee (the seller's leg is zero: no entry, no shard)."""
    monkeypatch.setitem(app.config, "PLATFORM_FEE_BPS", fee_bps)
    buyer, creator = UserFactory(), UserFactory()
    fund(buyer, credit=1000)
    item = make_item(creator, price_cents=999)
    answer = attempt(buyer.id, item.id)
    state = world_state({buyer.id: "buyer", creator.id: "creator"}, {item.id: "item"})
    fee = 999 * fee_bps // 10_000
    assert answer == ("bought", 999, fee, 999, 0, "paid", {"credit_cents": 1, "earnings_cents": 0, "total_cents": 1})
    seller = state["balances"].get(("creator", "earnings"))
    assert seller == ((0, 999) if fee_bps == 0 else (0, 0))  # no leg: the account exists, no shard
    legs = state["purchases"][0][11]
    assert legs == ([("buyer", "credit", -999), ("creator", "earnings", 999)] if fee_bps == 0
                    else [("buyer", "credit", -999), ("system", "platform_fees", 999)])
    assert state["problems"] == []


def test_refusals_write_nothing(app):
    """Each refusal, including those found after the locks (already owned, not enough funds,
    with the buyer's shards folded in memory), leaves every ledger row as it was."""
    buyer, creator, other = UserFactory(), UserFactory(), UserFactory()
    fund(buyer, credit=100)
    fund(other, credit=5000)
    owned = make_item(creator, price_cents=50)
    purchases.purchase_item(buyer.id, owned.id)
    purchases.purchase_item(other.id, make_item(buyer, price_cents=300).id)  # a shard for the buyer
    dear = make_item(creator, price_cents=10_000)
    hidden = make_item(creator, status="draft")
    free = make_item(creator, pricing="free", price_cents=0)
    own = make_item(buyer, price_cents=10)
    blocked_item = make_item(other, price_cents=10)
    block(buyer, other)
    before = ledger_rows()
    assert before["ledger_balance_shards"]
    cases = [(dear.id, None, "insufficient_funds"), (owned.id, None, "already_owned"),
             (dear.id, 9_999, "price_changed"), (hidden.id, None, "not_found"), (free.id, None, "not_for_sale"),
             (own.id, None, "own_item"), (blocked_item.id, None, "not_found"), (999_999, None, "not_found"),
             (2**40, None, "not_found")]
    for item_id, expected, code in cases:
        with pytest.raises(ServiceError) as err:
            purchases.purchase_item(buyer.id, item_id, expected)
        assert err.value.code == code
        assert ledger_rows() == before, code


def test_a_deadlock_is_retried(app, monkeypatch):
    """A deadlock reported by PostgreSQL inside the function is retried (nothing of the
    failed attempt was committed)."""
    buyer, creator = UserFactory(), UserFactory()
    fund(buyer, credit=1000)
    item = make_item(creator, price_cents=100)
    calls = []
    real = purchases._purchase_in_function

    def deadlocking(*args):
        calls.append(args)
        if len(calls) == 1:
            with purchases.autocommit_connection(db.engines["items"]) as connection:
                connection.execute(sa.text(
                    "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01', MESSAGE = 'deadlock detected'; END $$"))
        return real(*args)

    monkeypatch.setattr(purchases, "_purchase_in_function", deadlocking)
    result = purchases.purchase_item(buyer.id, item.id)
    assert len(calls) == 2 and result.balance["credit_cents"] == 900


def test_a_purchase_is_one_statement_on_the_items_bind(app):
    """One statement on the items bind per purchase (the call of the function); the blocks
    and the sale notification are the social bind's own statements."""
    buyer, creator = UserFactory(), UserFactory()
    fund(buyer, credit=1000)
    buyer_id, item_id = buyer.id, make_item(creator, price_cents=100).id
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = db.engines["items"]
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        purchases.purchase_item(buyer_id, item_id)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 1 and "dd_purchase_item(" in seen[0]


def test_autocommit_connections_leave_the_pooled_connection_as_they_found_it(app):
    """The driver's autocommit on the way in, cleared on the way out."""
    from psycopg.pq import TransactionStatus

    with purchases.autocommit_connection(db.engines["items"]) as connection:
        dbapi_connection = connection.connection.dbapi_connection
        assert dbapi_connection.autocommit
        assert connection.scalar(sa.text("SELECT 1")) == 1
        assert dbapi_connection.info.transaction_status == TransactionStatus.IDLE  # no transaction was opened
    assert not dbapi_connection.autocommit
