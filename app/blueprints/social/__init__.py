from flask import Blueprint

bp = Blueprint("social", __name__)
api_bp = Blueprint("social_api", __name__, url_prefix="/api/social")

from app.blueprints.social import api, routes  # noqa: E402,F401
