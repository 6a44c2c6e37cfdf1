"""SQL models, one module per bind. Importing this package registers every table."""

from app.models import audit, community, items, ledger, social, users  # noqa: F401
from app.models.audit import AuditEvent
from app.models.community import Community, CommunityPost, CommunityReply, Membership
from app.models.items import CreatorPlan, Entitlement, Item, Subscription
from app.models.users import AuthSession, ChatTicket, MailToken, SigninThrottle, User

__all__ = [
    "AuditEvent",
    "AuthSession",
    "ChatTicket",
    "Community",
    "CommunityPost",
    "CommunityReply",
    "CreatorPlan",
    "Entitlement",
    "Item",
    "MailToken",
    "Membership",
    "SigninThrottle",
    "Subscription",
    "User",
]
