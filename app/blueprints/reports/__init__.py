from flask import Blueprint

bp = Blueprint("reports", __name__)
api_bp = Blueprint("reports_api", __name__, url_prefix="/api/reports")

from app.blueprints.reports import api, routes  # noqa: E402,F401
