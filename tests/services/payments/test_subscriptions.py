from datetime import timedelta

import pytest

from app.models.base import utcnow
from app.services.errors import Conflict, InsufficientFunds, NotAllowed, NotFound
from app.services.items.policies import subscription_gives_access
from app.services.payments import subscriptions as subs
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session, verify_ledger
from tests.factories import UserFactory, fund, make_plan


@pytest.fixture
def creator():
    creator = UserFactory()
    make_plan(creator, 500)
    return creator


def ok():
    with read_session() as session:
        assert verify_ledger(session) == []


def test_first_month_is_charged_at_once_and_a_second_call_charges_nothing(user, creator):
    fund(user, credit=1200)
    sub, charged = subs.subscribe(user.id, creator)
    assert charged and sub.status == "active"
    assert sub.current_period_end - sub.current_period_start == subs.PERIOD
    again, charged = subs.subscribe(user.id, creator)
    assert not charged and again.id == sub.id
    assert get_balance(user.id)["credit_cents"] == 700
    assert get_balance(creator.id)["earnings_cents"] == 450
    ok()


def test_subscribing_without_funds_is_402(user, creator):
    fund(user, credit=499)
    with pytest.raises(InsufficientFunds):
        subs.subscribe(user.id, creator)
    assert subs.ensure_subscription_current(user.id, creator.id) is None


def test_no_plan_self_and_block(user):
    plain = UserFactory()
    fund(user, credit=5000)
    with pytest.raises(Conflict):
        subs.subscribe(user.id, plain)
    make_plan(user, 100)
    with pytest.raises(NotAllowed):
        subs.subscribe(user.id, user)
    from app.extensions import db
    from app.models.social import Block

    make_plan(plain, 100)
    db.session.add(Block(blocker_id=plain.id, blocked_id=user.id))
    db.session.commit()
    with pytest.raises(NotFound):
        subs.subscribe(user.id, plain)


def test_renewal_charges_the_next_period(user, creator):
    fund(user, credit=1000)
    now = utcnow()
    sub, _ = subs.subscribe(user.id, creator, now=now)
    later = sub.current_period_end + timedelta(minutes=1)
    counts = subs.renew_due(now=later)
    assert counts["active"] == 1
    sub = subs.ensure_subscription_current(user.id, creator.id, now=later)
    assert sub.current_period_start == now + subs.PERIOD
    assert get_balance(user.id)["credit_cents"] == 0
    # renewing again in the same period charges nothing
    subs.renew_due(now=later)
    assert get_balance(user.id)["credit_cents"] == 0
    ok()


def test_unpaid_renewal_gives_three_days_grace_then_lapses(user, creator):
    fund(user, credit=500)
    now = utcnow()
    sub, _ = subs.subscribe(user.id, creator, now=now)
    end = sub.current_period_end
    sub = subs.renew_subscription(sub.id, now=end + timedelta(hours=1))
    assert sub.status == "grace" and sub.grace_until == end + subs.GRACE
    assert subscription_gives_access(sub, end + timedelta(days=2))
    sub = subs.renew_subscription(sub.id, now=end + timedelta(days=3, minutes=1))
    assert sub.status == "lapsed"
    assert not subscription_gives_access(sub, end + timedelta(days=3, minutes=1))
    ok()


def test_grace_recovers_when_funds_arrive(user, creator):
    fund(user, credit=500)
    now = utcnow()
    sub, _ = subs.subscribe(user.id, creator, now=now)
    end = sub.current_period_end
    subs.renew_subscription(sub.id, now=end + timedelta(hours=1))
    fund(user, credit=500)
    sub = subs.ensure_subscription_current(user.id, creator.id, now=end + timedelta(days=1))
    assert sub.status == "active" and sub.current_period_start == end


def test_cancel_keeps_access_to_period_end_and_never_renews(user, creator):
    fund(user, credit=5000)
    now = utcnow()
    sub, _ = subs.subscribe(user.id, creator, now=now)
    sub = subs.unsubscribe(user.id, creator, now=now + timedelta(days=1))
    assert sub.status == "cancelled"
    assert subscription_gives_access(sub, now + timedelta(days=29))
    assert not subscription_gives_access(sub, now + timedelta(days=31))
    assert subs.renew_due(now=now + timedelta(days=31))["checked"] == 0
    assert get_balance(user.id)["credit_cents"] == 4500
    with pytest.raises(NotFound):
        subs.unsubscribe(user.id, creator)


def test_resubscribe_after_lapse_charges_again(user, creator):
    fund(user, credit=500)
    now = utcnow()
    sub, _ = subs.subscribe(user.id, creator, now=now)
    subs.renew_subscription(sub.id, now=sub.current_period_end + timedelta(days=4))
    fund(user, credit=500)
    sub, charged = subs.subscribe(user.id, creator, now=now + timedelta(days=40))
    assert charged and sub.status == "active"
    ok()


def test_billing_renew_cli(app, user, creator):
    fund(user, credit=5000)
    subs.subscribe(user.id, creator)
    result = app.test_cli_runner().invoke(args=["billing", "renew"])
    assert result.exit_code == 0 and "checked: 0" in result.output


def test_viewing_a_subscription_item_renews_lazily(user, creator):
    from app.extensions import db
    from app.models.items import Subscription
    from app.services.items.views import view_item
    from tests.factories import make_item

    fund(user, credit=1000)
    sub, _ = subs.subscribe(user.id, creator)
    item = make_item(creator, pricing="subscription", price_cents=0)
    with subs.money_session() as session:  # the paid period ended a minute ago
        row = session.get(Subscription, sub.id)
        row.current_period_start -= subs.PERIOD
        row.current_period_end = utcnow() - timedelta(minutes=1)
    db.session.rollback()
    view = view_item(db.session.get(type(item), item.id), user)
    assert not view.locked
    assert get_balance(user.id)["credit_cents"] == 0  # the second month was charged on access
    ok()
