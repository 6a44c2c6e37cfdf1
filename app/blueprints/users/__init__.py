from flask import Blueprint

bp = Blueprint("users", __name__)
api_bp = Blueprint("users_api", __name__, url_prefix="/api/users")

from app.blueprints.users import api, routes  # noqa: E402,F401
