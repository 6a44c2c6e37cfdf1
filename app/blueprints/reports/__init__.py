"""Reporting content and users: the page and /api/reports.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.reports.api import api_bp
from app.blueprints.reports.routes import bp

__all__ = ["api_bp", "bp"]
