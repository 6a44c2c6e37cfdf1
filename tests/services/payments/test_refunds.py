"""Issue 21, point 5: the refund policy. The buyer refunds on their own only within the
window and before opening the paid part; otherwise they ask the creator, who accepts (one
refund through the ledger) or declines (none), and both are told. Money stays exact under
repeated and concurrent clicks."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.ledger import Purchase, RefundRequest
from app.models.social import Notification
from app.services.errors import Conflict, NotFound
from app.services.payments import purchases, refund_policy, refunds
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session, verify_ledger
from tests.factories import UserFactory, fund, make_item
from tests.mail import mails_to, text_of
from tests.services.payments.test_concurrency import race

LINK = "http://localhost/purchases/1/refund"


@pytest.fixture
def sale():
    """A buyer (credit 300 and earnings 1,000 before) who bought a $10.00 item."""
    buyer, creator = UserFactory(display_name="Ann Buyer"), UserFactory(display_name="Cal Creator")
    fund(buyer, credit=300, earnings=1000)
    item = make_item(creator, price_cents=1000, title="Tide tables")
    purchase = purchases.purchase_item(buyer.id, item.id).purchase
    return buyer, creator, purchase


def reload(purchase_id: int) -> Purchase:
    with read_session() as session:
        return session.get(Purchase, purchase_id)


def age(purchase_id: int, hours: float) -> None:
    db.session.rollback()
    row = db.session.get(Purchase, purchase_id)
    row.created_at -= timedelta(hours=hours)
    db.session.commit()


def balanced(buyer, creator, *, refunded: bool) -> None:
    """The buyer and creator hold exactly what one purchase, refunded or not, leaves them."""
    expected_buyer = {"credit_cents": 300, "earnings_cents": 1000} if refunded else {"credit_cents": 0,
                                                                                       "earnings_cents": 300}
    assert {k: get_balance(buyer.id)[k] for k in expected_buyer} == expected_buyer
    assert get_balance(creator.id)["earnings_cents"] == (0 if refunded else 900)
    with read_session() as session:
        assert verify_ledger(session) == []
        refunds_written = session.scalar(sa.text("SELECT count(*) FROM ledger_transactions WHERE kind = 'refund'"))
    assert refunds_written == (1 if refunded else 0)


def notes(user, kind: str) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Notification.text).where(Notification.user_id == user.id,
                                                                      Notification.kind == kind)))


def option(purchase, viewer, request=None, **later) -> str | None:
    now = purchase.created_at + timedelta(**later) if later else None
    return refund_policy.refund_option(purchase, request, viewer.id, now)


def test_the_policy_as_a_table(sale):
    buyer, creator, purchase = sale
    stranger = UserFactory()
    assert option(purchase, buyer) == "self"
    assert option(purchase, buyer, hours=47) == "self"
    assert option(purchase, buyer, hours=49) == "request"
    assert option(purchase, buyer, days=31) is None
    assert option(purchase, creator, days=300) == "refund"
    assert option(purchase, stranger) is None
    purchase.opened_at = purchase.created_at
    assert option(purchase, buyer) == "request"
    pending = RefundRequest(status="pending")
    assert option(purchase, buyer, pending) == "requested" and option(purchase, creator, pending) == "decide"
    assert option(purchase, buyer, RefundRequest(status="declined")) == "declined"
    purchase.status = "refunded"
    assert option(purchase, buyer) is None and option(purchase, creator) is None


def test_a_fresh_unopened_purchase_is_refunded_by_its_buyer_once(sale):
    buyer, creator, purchase = sale
    with pytest.raises(Conflict) as err:
        refunds.request_refund(buyer.id, purchase.id, "no need to ask")
    assert err.value.code == "refund_yourself"
    purchases.refund_purchase(buyer.id, purchase.id)
    with pytest.raises(Conflict) as err:
        purchases.refund_purchase(buyer.id, purchase.id)
    assert err.value.code == "already_refunded"
    balanced(buyer, creator, refunded=True)


def test_opening_the_paid_part_ends_the_buyers_own_refund_and_the_creator_accepts_once(sale):
    buyer, creator, purchase = sale
    purchases.record_opened(buyer.id, purchase.item_id)
    assert reload(purchase.id).opened_at is not None
    with pytest.raises(Conflict) as err:
        purchases.refund_purchase(buyer.id, purchase.id)
    assert err.value.code == "already_opened"
    request = refunds.request_refund(buyer.id, purchase.id, "  It was not what I expected.  ", link=LINK)
    db.session.commit()  # the request's unit of work: its notification and mail
    assert request.status == "pending" and request.reason == "It was not what I expected."
    assert notes(creator, "refund_request") == ["asked for a refund of “Tide tables” ($10.00)"]
    [asked] = mails_to(creator.email)
    assert "Ann Buyer asked for a refund of “Tide tables” ($10.00)" in text_of(asked) and LINK in text_of(asked)
    with pytest.raises(Conflict) as err:
        refunds.request_refund(buyer.id, purchase.id, "again")
    assert err.value.code == "already_requested"
    with pytest.raises(NotFound):
        refunds.accept_refund_request(buyer.id, purchase.id)  # only the creator decides
    balanced(buyer, creator, refunded=False)

    refunds.accept_refund_request(creator.id, purchase.id, link=LINK)
    db.session.commit()
    for second in (lambda: refunds.accept_refund_request(creator.id, purchase.id),
                   lambda: refunds.decline_refund_request(creator.id, purchase.id)):
        with pytest.raises(Conflict):
            second()
    balanced(buyer, creator, refunded=True)
    with read_session() as session:
        assert session.scalar(sa.select(RefundRequest.status)) == "accepted"
    assert notes(buyer, "refund_decided") == ["refunded your purchase of “Tide tables” ($10.00)"]
    assert notes(creator, "refund_decided") == ["refund request for “Tide tables”: you refunded it"]
    assert "accepted your refund request" in text_of(mails_to(buyer.email)[-1])
    assert "You refunded Ann Buyer $10.00" in text_of(mails_to(creator.email)[-1])


def test_a_declined_request_never_refunds(sale):
    buyer, creator, purchase = sale
    age(purchase.id, 49)  # past the buyer's own window, not opened
    with pytest.raises(Conflict) as err:
        purchases.refund_purchase(buyer.id, purchase.id)
    assert err.value.code == "refund_window_passed"
    refunds.request_refund(buyer.id, purchase.id, "")
    refunds.decline_refund_request(creator.id, purchase.id, "You read all of it.", link=LINK)
    db.session.commit()
    with pytest.raises(Conflict) as err:
        refunds.accept_refund_request(creator.id, purchase.id)
    assert err.value.code == "already_decided"
    with pytest.raises(Conflict):
        refunds.request_refund(buyer.id, purchase.id, "please")
    balanced(buyer, creator, refunded=False)
    assert notes(buyer, "refund_decided") == ["declined your refund request for “Tide tables”"]
    text = text_of(mails_to(buyer.email)[-1])
    assert "declined your refund request" in text and "You read all of it." in text
    # The creator may still refund on their own later: once.
    purchases.refund_purchase(creator.id, purchase.id)
    balanced(buyer, creator, refunded=True)


def test_requests_close_after_thirty_days_and_answers_are_bounded(sale):
    buyer, creator, purchase = sale
    with pytest.raises(NotFound):
        refunds.request_refund(creator.id, purchase.id, "not mine")
    age(purchase.id, 24 * 31)
    with pytest.raises(Conflict) as err:
        refunds.request_refund(buyer.id, purchase.id, "late")
    assert err.value.code == "request_window_passed"
    age(purchase.id, -24 * 2)  # 29 days old
    with pytest.raises(Exception) as err:
        refunds.request_refund(buyer.id, purchase.id, "x" * 1001)
    assert err.value.status == 400 and "reason" in err.value.fields
    assert refunds.request_refund(buyer.id, purchase.id, "x" * 1000).status == "pending"


def test_eight_clicks_of_the_buyers_refund_at_once_refund_once(app, sale):
    buyer, creator, purchase = sale
    outcomes = race(app, [lambda: purchases.refund_purchase(buyer.id, purchase.id)] * 8)
    assert sum(1 for o in outcomes if isinstance(o, Purchase)) == 1
    assert all(isinstance(o, Conflict) and o.code == "already_refunded" for o in outcomes if not isinstance(o, Purchase))
    balanced(buyer, creator, refunded=True)


def test_racing_accepts_and_declines_decide_once(app, sale):
    buyer, creator, purchase = sale
    purchases.record_opened(buyer.id, purchase.item_id)
    refunds.request_refund(buyer.id, purchase.id, "")
    db.session.commit()
    calls = [lambda: refunds.accept_refund_request(creator.id, purchase.id),
             lambda: refunds.decline_refund_request(creator.id, purchase.id)] * 4
    outcomes = race(app, calls)
    decided = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(decided) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, Exception))
    with read_session() as session:
        status = session.scalar(sa.select(RefundRequest.status))
    assert status == ("accepted" if isinstance(decided[0], Purchase) else "declined")
    balanced(buyer, creator, refunded=status == "accepted")


def test_opening_while_refunding_never_leaves_an_opened_purchase_refunded_by_its_buyer(app, sale):
    buyer, creator, purchase = sale
    outcomes = race(app, [lambda: purchases.record_opened(buyer.id, purchase.item_id),
                          lambda: purchases.refund_purchase(buyer.id, purchase.id)] * 2)
    row = reload(purchase.id)
    refunded = [o for o in outcomes if isinstance(o, Purchase)]
    assert len(refunded) <= 1
    if refunded:
        assert row.status == "refunded" and row.opened_at is None
    else:
        assert row.status == "paid" and row.opened_at is not None
    balanced(buyer, creator, refunded=bool(refunded))
