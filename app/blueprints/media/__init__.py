"""Stored files: /media.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.media.routes import bp

__all__ = ["bp"]
