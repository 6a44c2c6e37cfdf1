"""SQL models, one module per bind. Importing this package registers every table."""

from app.models import audit, items, ledger, social, users  # noqa: F401
from app.models.audit import AuditEvent
from app.models.items import CreatorPlan, Entitlement, Item, Subscription
from app.models.users import AuthSession, User

__all__ = ["AuditEvent", "AuthSession", "CreatorPlan", "Entitlement", "Item", "Subscription", "User"]
