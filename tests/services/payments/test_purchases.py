from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.items import Entitlement
from app.models.ledger import LedgerTransaction, Purchase
from app.models.social import Block
from app.services.errors import Conflict, InsufficientFunds, Invalid, NotAllowed, NotFound
from app.services.items.policies import can_access_content
from app.services.payments import purchases
from app.services.payments.balances import get_balance
from app.services.payments.ledger import SYSTEM_FEES, account_balance, read_session, verify_ledger
from tests.factories import UserFactory, fund, make_item


@pytest.fixture
def creator():
    return UserFactory()


def counts():
    with read_session() as session:
        return (session.scalar(sa.select(sa.func.count(Purchase.id))),
                session.scalar(sa.select(sa.func.count(LedgerTransaction.id))))


def can_access(user, item):
    db.session.rollback()  # a fresh snapshot: the money session committed on its own connection
    return can_access_content(user, db.session.get(type(item), item.id))


def ok():
    with read_session() as session:
        assert verify_ledger(session) == []


def test_purchase_spends_credit_then_earnings_and_pays_creator_less_fee(user, creator):
    fund(user, credit=600, earnings=1000)
    item = make_item(creator, price_cents=1000)
    result = purchases.purchase_item(user.id, item.id, 1000)
    assert (result.purchase.from_credit_cents, result.purchase.from_earnings_cents) == (600, 400)
    assert result.balance == {"credit_cents": 0, "earnings_cents": 600, "total_cents": 600}
    assert get_balance(creator.id)["earnings_cents"] == 900  # 10% platform fee
    with read_session() as session:
        assert account_balance(session, SYSTEM_FEES) == 100
    assert can_access(user, item)
    ok()


def test_second_purchase_is_refused_and_writes_nothing(user, creator):
    fund(user, credit=5000)
    item = make_item(creator)
    purchases.purchase_item(user.id, item.id)
    before = counts()
    with pytest.raises(Conflict) as err:
        purchases.purchase_item(user.id, item.id)
    assert err.value.code == "already_owned"
    assert counts() == before
    assert get_balance(user.id)["credit_cents"] == 4000


def test_insufficient_funds_is_402_and_writes_nothing(user, creator):
    fund(user, credit=999)
    item = make_item(creator, price_cents=1000)
    with pytest.raises(InsufficientFunds):
        purchases.purchase_item(user.id, item.id)
    assert counts() == (0, 1)
    with read_session() as session:
        assert session.scalar(sa.select(sa.func.count(Entitlement.id))) == 0


def test_stale_price_is_refused_with_price_changed(user, creator):
    fund(user, credit=5000)
    item = make_item(creator, price_cents=1000)
    item.price_cents = 2000
    db.session.commit()
    with pytest.raises(Conflict) as err:
        purchases.purchase_item(user.id, item.id, expected_price_cents=1000)
    assert err.value.code == "price_changed"
    assert counts() == (0, 1)


@pytest.mark.parametrize("expected", [-5, 10.5, "12", True])
def test_expected_price_must_be_whole_cents(user, creator, expected):
    fund(user, credit=5000)
    item = make_item(creator)
    with pytest.raises(Invalid):
        purchases.purchase_item(user.id, item.id, expected)


def test_cannot_buy_own_item(creator):
    fund(creator, credit=5000)
    item = make_item(creator)
    with pytest.raises(NotAllowed):
        purchases.purchase_item(creator.id, item.id)


def test_cannot_buy_across_a_block(user, creator):
    fund(user, credit=5000)
    item = make_item(creator)
    db.session.add(Block(blocker_id=creator.id, blocked_id=user.id))
    db.session.commit()
    with pytest.raises(NotFound):
        purchases.purchase_item(user.id, item.id)


@pytest.mark.parametrize("kwargs", [{"status": "draft"}, {"pricing": "free", "price_cents": 0},
                                    {"pricing": "subscription", "price_cents": 0}])
def test_only_published_one_time_items_are_sold(user, creator, kwargs):
    fund(user, credit=5000)
    item = make_item(creator, **kwargs)
    with pytest.raises((NotFound, Conflict)):
        purchases.purchase_item(user.id, item.id)
    assert counts()[0] == 0


def test_buyer_refund_within_48h_reverses_everything(user, creator):
    fund(user, credit=300, earnings=1000)
    item = make_item(creator, price_cents=1000)
    purchase = purchases.purchase_item(user.id, item.id).purchase
    refunded = purchases.refund_purchase(user.id, purchase.id)
    assert refunded.status == "refunded"
    assert get_balance(user.id) == {"credit_cents": 300, "earnings_cents": 1000, "total_cents": 1300}
    assert get_balance(creator.id)["earnings_cents"] == 0
    assert not can_access(user, item)
    with pytest.raises(Conflict):
        purchases.refund_purchase(user.id, purchase.id)
    ok()
    # a refunded item can be bought again
    purchases.purchase_item(user.id, item.id)
    assert can_access(user, item)


def test_buyer_cannot_refund_after_download_or_after_48h(user, creator):
    fund(user, credit=5000)
    first, second = make_item(creator), make_item(creator)
    p1 = purchases.purchase_item(user.id, first.id).purchase
    purchases.record_opened(user.id, first.id)
    with pytest.raises(Conflict) as err:
        purchases.refund_purchase(user.id, p1.id)
    assert err.value.code == "already_opened"
    p2 = purchases.purchase_item(user.id, second.id).purchase
    db.session.rollback()
    row = db.session.get(Purchase, p2.id)
    row.created_at = row.created_at - timedelta(hours=49)
    db.session.commit()
    with pytest.raises(Conflict) as err:
        purchases.refund_purchase(user.id, p2.id)
    assert err.value.code == "refund_window_passed"
    # the creator may still refund both
    purchases.refund_purchase(creator.id, p1.id)
    purchases.refund_purchase(creator.id, p2.id)
    assert get_balance(user.id)["credit_cents"] == 5000
    ok()


def test_strangers_cannot_refund(user, creator):
    fund(user, credit=5000)
    purchase = purchases.purchase_item(user.id, make_item(creator).id).purchase
    with pytest.raises(NotFound):
        purchases.refund_purchase(UserFactory().id, purchase.id)


def test_refund_not_covered_when_creator_withdrew(user, creator):
    from app.services.payments.payouts import redeem_earnings

    fund(user, credit=5000)
    purchase = purchases.purchase_item(user.id, make_item(creator, price_cents=2000).id).purchase
    redeem_earnings(creator.id, 1800)
    with pytest.raises(Conflict) as err:
        purchases.refund_purchase(creator.id, purchase.id)
    assert err.value.code == "refund_not_covered"
    ok()


def shard_rows(account_code):
    from app.models.ledger import LedgerAccount, LedgerBalanceShard

    with read_session() as session:
        account = session.scalar(sa.select(LedgerAccount).where(LedgerAccount.code == account_code))
        shards = session.scalars(sa.select(LedgerBalanceShard.balance_cents)
                                 .where(LedgerBalanceShard.account_id == account.id)).all()
        return account.balance_cents, list(shards)


def test_sales_land_in_shards_and_a_debit_folds_them_back(user, creator):
    from app.services.payments.ledger import earnings_code

    other = UserFactory()
    sold = [make_item(creator, price_cents=1000, title=f"Thing {n}").id for n in range(3)]
    wanted, too_dear = make_item(other, price_cents=2500).id, make_item(other, price_cents=201, title="Too dear").id
    fund(user, credit=3000)
    for item_id in sold:
        purchases.purchase_item(user.id, item_id)
    row, shards = shard_rows(earnings_code(creator.id))
    assert row == 0 and sum(shards) == 3 * 900 and shards  # the account row itself was never touched
    assert get_balance(creator.id) == {"credit_cents": 0, "earnings_cents": 2700, "total_cents": 2700}
    ok()
    # The creator spends their earnings: the shards fold into the account under its lock.
    result = purchases.purchase_item(creator.id, wanted)
    assert result.balance == {"credit_cents": 0, "earnings_cents": 200, "total_cents": 200}
    assert result.purchase.from_earnings_cents == 2500
    assert shard_rows(earnings_code(creator.id)) == (200, [])
    with pytest.raises(InsufficientFunds):  # the whole balance was checked, and it is short now
        purchases.purchase_item(creator.id, too_dear)
    assert get_balance(creator.id)["earnings_cents"] == 200
    ok()
