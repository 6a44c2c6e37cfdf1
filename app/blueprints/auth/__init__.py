"""Signing up, in and out, password resets: the pages and /api/auth.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.auth.api import api_bp
from app.blueprints.auth.routes import bp

__all__ = ["api_bp", "bp"]
