"""Creator analytics: the pages and /api/analytics.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.analytics.api import api_bp
from app.blueprints.analytics.routes import bp

__all__ = ["api_bp", "bp"]
