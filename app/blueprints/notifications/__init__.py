"""Notifications: the panel and its pages, the server-sent event stream (sse.py) and
/api/notifications.

Each view module owns or joins its blueprint; importing the package registers every view."""

from flask_login import current_user

from app.blueprints.notifications import sse  # noqa: F401 - its view joins bp
from app.blueprints.notifications.api import api_bp
from app.blueprints.notifications.routes import bp
from app.services.notifications import unread_count

__all__ = ["api_bp", "bp"]


@bp.app_template_global()
def unread_notifications() -> int:
    """The nav badge's count for the signed-in user (0 for anyone else)."""
    return unread_count(current_user.id) if current_user.is_authenticated else 0
