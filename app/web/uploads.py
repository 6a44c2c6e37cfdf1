"""Uploaded files at the edge."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, request
from werkzeug.datastructures import FileStorage


def upload_or_none(value) -> FileStorage | None:
    """A file the user actually chose, or None for an empty file input."""
    if isinstance(value, FileStorage) and value.filename:
        return value
    return None


def image_upload_limit(images: int = 1) -> Callable:
    """Cap this view's request body at `images` images plus the form around them, so an
    oversized upload is refused (413) before it is read, not after the app-wide ceiling."""

    def decorate(view):
        view.body_limit = lambda: images * current_app.config["MAX_IMAGE_BYTES"] + current_app.config[
            "MAX_FORM_BYTES"
        ]
        return view

    return decorate


def apply_body_limit() -> None:
    # Runs before the CSRF check, which is the first thing to read a form body.
    view = current_app.view_functions.get(request.endpoint)
    limit = getattr(view, "body_limit", None)
    if limit is None:
        return
    request.max_content_length = limit()
    if request.content_length is not None and request.content_length > request.max_content_length:
        abort(413)


def init_uploads(app) -> None:
    app.before_request(apply_body_limit)
