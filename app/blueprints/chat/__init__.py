"""The chat: its pages, the websocket (ws.py) and /api/chat.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.chat import ws  # noqa: F401 - their views join bp
from app.blueprints.chat.api import api_bp
from app.blueprints.chat.routes import bp

__all__ = ["api_bp", "bp"]
