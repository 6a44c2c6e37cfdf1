from flask import Blueprint

# Every admin page is behind `admin_required`: 404 for everyone else, anonymous included.
bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.blueprints.admin import routes  # noqa: E402,F401
