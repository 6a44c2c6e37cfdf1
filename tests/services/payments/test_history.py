"""Issue 21, point 11: every line of a wallet's history is said from its own side, with the
item's title and the other person's name (the buyer bought, the seller sold)."""

from app.services.payments import history, purchases, subscriptions
from tests.factories import UserFactory, fund, make_item, make_plan


def memos(user) -> dict[str, list[str]]:
    lines, _ = history.list_history(user.id)
    found: dict[str, list[str]] = {}
    for line in lines:
        found.setdefault(line.kind, []).append(line.memo)
    return found


def test_purchase_refund_and_subscription_lines_read_from_each_side():
    buyer = UserFactory(display_name="Ann Buyer")
    creator = UserFactory(display_name="Bob Maker")
    fund(buyer, credit=10_000)
    item = make_item(creator, price_cents=700, title="Night songs")
    purchase = purchases.purchase_item(buyer.id, item.id).purchase
    purchases.refund_purchase(creator.id, purchase.id)
    make_plan(creator, 300)
    subscriptions.subscribe(buyer.id, creator)

    mine = memos(buyer)
    assert mine["purchase"] == ["Bought “Night songs” from Bob Maker"]
    assert mine["refund"] == ["Refund of “Night songs” from Bob Maker"]
    assert mine["subscription"] == ["Subscription to Bob Maker"]
    theirs = memos(creator)
    assert theirs["purchase"] == ["Sold “Night songs” to Ann Buyer"]
    assert theirs["refund"] == ["Refunded “Night songs” to Ann Buyer"]
    assert theirs["subscription"] == ["Subscription from Ann Buyer"]

    lines, _ = history.list_history(creator.id, filters={"kind": "purchase"})
    assert lines[0].item_id == item.id and lines[0].counterpart_id == buyer.id
    # The API's object keeps api.md's fields; only the memo reads better.
    assert set(lines[0].as_dict()) == {"id", "kind", "amount_cents", "account", "created_at", "memo"}


def test_other_lines_keep_their_memo_and_the_csv_its_columns():
    user = UserFactory()
    fund(user, credit=100)
    lines, _ = history.list_history(user.id)
    assert [line.memo for line in lines] == [""] and lines[0].item_id is None
