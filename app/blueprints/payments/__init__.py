from flask import Blueprint

bp = Blueprint("payments", __name__)
api_bp = Blueprint("payments_api", __name__, url_prefix="/api")

from app.blueprints.payments import admin, api, routes, webhooks  # noqa: E402,F401
