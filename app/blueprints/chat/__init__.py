from flask import Blueprint

bp = Blueprint("chat", __name__)
api_bp = Blueprint("chat_api", __name__, url_prefix="/api/chat")

from app.blueprints.chat import api, routes, ws  # noqa: E402,F401
