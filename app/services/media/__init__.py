"""Media: storage of files and checking of uploaded images."""

from app.services.media.images import process_image, read_limited
from app.services.media.storage import media_url, storage

__all__ = ["media_url", "process_image", "read_limited", "storage"]
