"""The home page and /healthz.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.main.routes import bp

__all__ = ["bp"]
