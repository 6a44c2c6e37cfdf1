from flask import Blueprint

bp = Blueprint("analytics", __name__)
api_bp = Blueprint("analytics_api", __name__, url_prefix="/api/analytics")

from app.blueprints.analytics import api, routes  # noqa: E402,F401
