"""factory_boy factories, one module per domain, and small data makers."""

from tests.factories.communities import add_member, make_community
from tests.factories.media import make_image
from tests.factories.users import PASSWORD, UserFactory

__all__ = ["PASSWORD", "UserFactory", "add_member", "make_community", "make_image"]
