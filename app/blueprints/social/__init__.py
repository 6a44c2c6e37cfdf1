"""Follows, blocks and mutes: the pages, and /api/social (with likes and comments).

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.social.api import api_bp
from app.blueprints.social.routes import bp

__all__ = ["api_bp", "bp"]
