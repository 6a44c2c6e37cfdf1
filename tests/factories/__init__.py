"""factory_boy factories, one module per domain, and small data makers."""

from tests.factories.communities import add_member, make_community
from tests.factories.items import (
    CreatorPlanFactory,
    EntitlementFactory,
    ItemFactory,
    SubscriptionFactory,
)
from tests.factories.media import make_image
from tests.factories.payments import fund, make_item, make_plan
from tests.factories.users import PASSWORD, UserFactory

__all__ = [
    "PASSWORD",
    "CreatorPlanFactory",
    "EntitlementFactory",
    "ItemFactory",
    "SubscriptionFactory",
    "UserFactory",
    "add_member",
    "fund",
    "make_community",
    "make_image",
    "make_item",
    "make_plan",
]
