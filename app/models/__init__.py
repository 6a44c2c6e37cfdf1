"""SQL models, one module per bind. Importing this package registers every table."""

from app.models import audit, community, social, users  # noqa: F401
from app.models.audit import AuditEvent
from app.models.community import Community, CommunityPost, CommunityReply, Membership
from app.models.users import AuthSession, User

__all__ = [
    "AuditEvent",
    "AuthSession",
    "Community",
    "CommunityPost",
    "CommunityReply",
    "Membership",
    "User",
]
