"""Messages after a community action."""

from flask import flash

from app.web.htmx import wants_partial


def flash_unless_partial(message: str) -> None:
    """A success message for the next full page; an HTMX swap shows its own result instead."""
    if not wants_partial():
        flash(message, "success")
