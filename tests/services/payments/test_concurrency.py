"""Concurrency on PostgreSQL: threads with their own app contexts race on the same rows."""

import random
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from app.models.items import Entitlement
from app.models.ledger import Purchase
from app.services.errors import Conflict, InsufficientFunds
from app.services.payments import purchases, topups
from app.services.payments.balances import get_balance
from app.services.payments.ledger import SYSTEM_FEES, account_balance, read_session
from tests.factories import UserFactory, fund, make_item
from tests.fakes.stripe_server import event_payload, sign
from tests.payments_fixtures import WEBHOOK_SECRET

WORKERS = 8


def race(app, calls):
    """Run every call in its own thread and app context; return results or exceptions."""

    def run(call):
        with app.app_context():
            try:
                return call()
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                return exc

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, calls))


def verify_passes(app):
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


def test_50_purchases_by_one_buyer_whose_credit_covers_10(app):
    buyer, creator = UserFactory(), UserFactory()
    fund(buyer, credit=10 * 700)
    items = [make_item(creator, price_cents=700, title=f"Item {n}") for n in range(50)]
    ids = [item.id for item in items]
    buyer_id = buyer.id  # read here: the threads must not load it through this thread's session
    outcomes = race(app, [lambda i=i: purchases.purchase_item(buyer_id, i) for i in ids])
    bought = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(bought) == 10
    assert all(isinstance(o, InsufficientFunds) for o in refused)
    assert get_balance(buyer.id) == {"credit_cents": 0, "earnings_cents": 0, "total_cents": 0}
    assert get_balance(creator.id)["earnings_cents"] == 10 * 630
    verify_passes(app)


def test_200_purchases_of_one_creator_by_many_buyers_lose_and_duplicate_nothing(app):
    creator = UserFactory()
    buyers = UserFactory.create_batch(40)
    for buyer in buyers:
        fund(buyer, credit=10_000)
    items = [make_item(creator, price_cents=100 * (n + 1), title=f"Item {n}") for n in range(5)]
    pairs = [(b.id, i.id) for b in buyers for i in items]  # 200 distinct purchases
    attempts = pairs + random.sample(pairs, 50)  # and 50 double clicks
    random.shuffle(attempts)
    outcomes = race(app, [lambda p=p: purchases.purchase_item(*p) for p in attempts])
    assert sum(1 for o in outcomes if not isinstance(o, Exception)) == 200
    assert all(isinstance(o, Conflict) and o.code == "already_owned" for o in outcomes if isinstance(o, Exception))
    with read_session() as session:
        rows = session.execute(sa.select(Purchase.buyer_id, Purchase.item_id, Purchase.price_cents,
                                         Purchase.fee_cents)).all()
        assert len(rows) == len({(r.buyer_id, r.item_id) for r in rows}) == 200
        assert session.scalar(sa.select(sa.func.count(Entitlement.id))) == 200
        fees = account_balance(session, SYSTEM_FEES)
    paid = sum(r.price_cents for r in rows)
    assert get_balance(creator.id)["earnings_cents"] + fees == paid
    assert sum(get_balance(b.id)["credit_cents"] for b in buyers) == 40 * 10_000 - paid
    verify_passes(app)


def test_each_webhook_event_three_times_shuffled_and_concurrent_credits_once(app, stripe_fake):
    users = UserFactory.create_batch(5)
    urls = {"success_url": "http://localhost/s?session_id={CHECKOUT_SESSION_ID}", "cancel_url": "http://localhost/c"}
    calls = []
    expected = {}
    for n, user in enumerate(users):
        fund(user, credit=1)  # accounts exist, so no sign-up grant on read
        topup = topups.start_topup(user.id, 1000 + n, **urls)
        paid = stripe_fake.pay(topup.session_id)
        expected[user.id] = 1 + 1000 + n
        for event_type in topups.APPLIED_EVENTS:
            payload = event_payload(event_type, paid)
            calls += [lambda p=payload: topups.handle_webhook(p, sign(p, WEBHOOK_SECRET))] * 3
        calls.append(lambda u=user.id, s=topup.session_id: topups.confirm_topup(u, s))
    random.shuffle(calls)
    outcomes = race(app, calls)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    applied = sum(1 for o in outcomes if isinstance(o, dict) and o["applied"])
    assert applied <= 5
    assert {u.id: get_balance(u.id)["credit_cents"] for u in users} == expected
    verify_passes(app)


def test_a_creator_spends_earnings_while_their_sales_keep_arriving(app):
    """Sales go to balance shards without the creator's lock; the creator's own purchases lock
    the account and fold the shards. Both at once: nothing lost, every debit covered."""
    creator, other = UserFactory(), UserFactory()
    fund(creator, earnings=10 * 500)  # their own purchases are covered whatever the timing
    buyers = UserFactory.create_batch(20)
    for buyer in buyers:
        fund(buyer, credit=3 * 300)
    sold = [make_item(creator, price_cents=300, title=f"Sold {n}") for n in range(3)]
    bought = [make_item(other, price_cents=500, title=f"Bought {n}") for n in range(10)]
    creator_id = creator.id
    calls = [lambda b=b.id, i=i.id: purchases.purchase_item(b, i) for b in buyers for i in sold]
    calls += [lambda i=i.id: purchases.purchase_item(creator_id, i) for i in bought]
    random.shuffle(calls)
    outcomes = race(app, calls)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert get_balance(creator.id)["earnings_cents"] == 10 * 500 - 10 * 500 + 60 * (300 - 30)
    assert get_balance(other.id)["earnings_cents"] == 10 * 450
    verify_passes(app)
