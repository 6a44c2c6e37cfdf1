"""Profiles and account settings: the pages and /api/users.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.users.api import api_bp
from app.blueprints.users.routes import bp

__all__ = ["api_bp", "bp"]
