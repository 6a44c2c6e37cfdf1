"""Access to items as a table: who x kind x pricing -> view, content."""

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from app.extensions import db
from app.models.base import utcnow
from app.models.items import KINDS
from app.models.social import Block
from app.services.items.policies import (
    can_access_content,
    can_buy_item,
    can_edit_item,
    can_review_item,
    can_view_item,
)
from tests.factories import EntitlementFactory, ItemFactory, SubscriptionFactory, UserFactory

WHO = ("creator", "buyer", "subscriber", "other", "anonymous", "blocked")

# pricing -> the viewers who get the content (everyone not listed gets the preview,
# except `blocked`, who does not see the item at all).
CONTENT = {
    "free": {"creator", "buyer", "subscriber", "other", "anonymous"},
    "one_time": {"creator", "buyer"},
    "subscription": {"creator", "buyer", "subscriber"},
}


@pytest.fixture
def cast():
    creator = UserFactory()
    people = {name: UserFactory() for name in ("buyer", "subscriber", "other", "blocked")}
    SubscriptionFactory(subscriber_id=people["subscriber"].id, creator_id=creator.id)
    db.session.add(Block(blocker_id=creator.id, blocked_id=people["blocked"].id))
    db.session.commit()
    return {"creator": creator, "anonymous": AnonymousUserMixin(), **people}


def make_item(creator, kind, pricing, buyer, **extra):
    item = ItemFactory(creator_id=creator.id, kind=kind, pricing=pricing,
                       price_cents=0 if pricing == "free" else 300, **extra)
    EntitlementFactory(user_id=buyer.id, item_id=item.id, source="purchase")
    return item


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("pricing", sorted(CONTENT))
def test_access_table(cast, kind, pricing):
    item = make_item(cast["creator"], kind, pricing, cast["buyer"])
    for who in WHO:
        viewer = cast[who]
        assert can_view_item(viewer, item) is (who != "blocked"), (who, kind, pricing)
        assert can_access_content(viewer, item) is (who in CONTENT[pricing]), (who, kind, pricing)
        assert can_edit_item(viewer, item) is (who == "creator"), who


@pytest.mark.parametrize("pricing", sorted(CONTENT))
def test_drafts_are_only_for_the_creator(cast, pricing):
    item = make_item(cast["creator"], "writing", pricing, cast["buyer"], status="draft", published_at=None)
    for who in WHO:
        assert can_view_item(cast[who], item) is (who == "creator"), who
        assert can_access_content(cast[who], item) is (who == "creator"), who


@pytest.mark.parametrize("pricing", sorted(CONTENT))
def test_deleted_items_stay_for_the_creator_and_the_entitled(cast, pricing):
    item = make_item(cast["creator"], "art", pricing, cast["buyer"], deleted_at=utcnow())
    for who in WHO:
        expected = who in ("creator", "buyer")
        assert can_view_item(cast[who], item) is expected, who
        assert can_access_content(cast[who], item) is expected, who
    assert not can_edit_item(cast["creator"], item)


def test_revoked_entitlement_gives_nothing(cast):
    item = ItemFactory(creator_id=cast["creator"].id, pricing="one_time", price_cents=100)
    EntitlementFactory(user_id=cast["other"].id, item_id=item.id, revoked_at=utcnow())
    assert not can_access_content(cast["other"], item)


@pytest.mark.parametrize(("status", "period_days", "grace_days", "expected"), [
    ("active", 30, None, True),
    ("grace", -1, 2, True),
    ("grace", -5, -1, False),
    ("cancelled", 10, None, True),
    ("cancelled", -1, None, False),
    ("lapsed", -1, None, False),
])
def test_subscription_states(cast, status, period_days, grace_days, expected):
    creator, fan = cast["creator"], cast["other"]
    SubscriptionFactory(subscriber_id=fan.id, creator_id=creator.id, status=status,
                        current_period_end=utcnow() + timedelta(days=period_days),
                        grace_until=None if grace_days is None else utcnow() + timedelta(days=grace_days),
                        cancelled_at=utcnow() if status == "cancelled" else None)
    item = ItemFactory(creator_id=creator.id, pricing="subscription", price_cents=0)
    assert can_access_content(fan, item) is expected


def test_subscription_to_another_creator_gives_nothing(cast):
    item = ItemFactory(pricing="subscription")
    assert not can_access_content(cast["subscriber"], item)


def test_buy_and_review_rules(cast):
    paid = make_item(cast["creator"], "download", "one_time", cast["buyer"])
    free = make_item(cast["creator"], "download", "free", cast["buyer"])
    assert can_buy_item(cast["other"], paid)
    assert not can_buy_item(cast["buyer"], paid)
    assert not can_buy_item(cast["creator"], paid)
    assert not can_buy_item(cast["anonymous"], paid)
    assert not can_buy_item(cast["blocked"], paid)
    assert can_review_item(cast["buyer"], paid) and not can_review_item(cast["other"], paid)
    assert can_review_item(cast["other"], free) and not can_review_item(cast["anonymous"], free)
    assert not can_review_item(cast["creator"], free)


def test_get_item_or_404_hides_and_loads(cast):
    from app.services.errors import NotAllowed, NotFound
    from app.services.items import get_item_for_edit, get_item_or_404

    item = make_item(cast["creator"], "comic", "one_time", cast["buyer"])
    assert get_item_or_404(item.id, cast["other"]) is item
    for bad in (item.id + 999, "abc", None):
        with pytest.raises(NotFound):
            get_item_or_404(bad, cast["other"])
    with pytest.raises(NotFound):
        get_item_or_404(item.id, cast["blocked"])
    with pytest.raises(NotAllowed):
        get_item_for_edit(item.id, cast["other"])
    assert get_item_for_edit(item.id, cast["creator"]) is item


@pytest.mark.parametrize("kind", KINDS)
def test_access_table_through_the_api(app, client, cast, kind):
    """The same table end to end: GET /api/items/{id} for each viewer and pricing."""
    from tests.conftest import bearer
    from tests.factories import make_plan
    from tests.items_helpers import new_item, request_context

    make_plan(cast["creator"])  # subscribers-only items need their creator's plan
    gen = request_context(app)
    next(gen)
    items = {p: new_item(cast["creator"], kind=kind, pricing=p, price_cents=300 if p == "one_time" else 0)
             for p in CONTENT}
    gen.close()
    for item in items.values():
        EntitlementFactory(user_id=cast["buyer"].id, item_id=item.id, source="purchase")
    for who in WHO:
        headers = {} if who == "anonymous" else bearer(app, cast[who])
        for pricing, item in items.items():
            reply = client.get(f"/api/items/{item.id}", headers=headers)
            if who == "blocked":
                assert reply.status_code == 404, (who, pricing)
                continue
            data = reply.get_json()
            entitled = who in CONTENT[pricing]
            assert data["locked"] is (not entitled), (who, kind, pricing)
            assert (data["content"] is not None) is entitled, (who, kind, pricing)
            assert data["item"]["owned"] is (who == "buyer"), (who, pricing)
