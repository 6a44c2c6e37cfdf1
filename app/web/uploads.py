"""Uploaded files at the edge."""

from __future__ import annotations

from werkzeug.datastructures import FileStorage


def upload_or_none(value) -> FileStorage | None:
    """A file the user actually chose, or None for an empty file input."""
    if isinstance(value, FileStorage) and value.filename:
        return value
    return None
