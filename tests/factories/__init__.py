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
from tests.factories.social import CommentFactory, PostFactory, block, follow, mute
from tests.factories.users import PASSWORD, UserFactory

__all__ = [
    "PASSWORD",
    "CommentFactory",
    "CreatorPlanFactory",
    "EntitlementFactory",
    "ItemFactory",
    "PostFactory",
    "SubscriptionFactory",
    "UserFactory",
    "add_member",
    "block",
    "follow",
    "mute",
    "fund",
    "make_community",
    "make_image",
    "make_item",
    "make_plan",
]
