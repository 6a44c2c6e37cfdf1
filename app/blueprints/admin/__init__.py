"""The admin area, /admin: users, reports, the audit log, the system page, payment events.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.admin.routes import bp

__all__ = ["bp"]
