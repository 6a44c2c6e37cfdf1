from flask import Blueprint
from flask_login import current_user

from app.services.notifications import unread_count

bp = Blueprint("notifications", __name__)
api_bp = Blueprint("notifications_api", __name__, url_prefix="/api/notifications")


@bp.app_template_global()
def unread_notifications() -> int:
    """The nav badge's count for the signed-in user (0 for anyone else)."""
    return unread_count(current_user.id) if current_user.is_authenticated else 0


from app.blueprints.notifications import api, routes, sse  # noqa: E402,F401
