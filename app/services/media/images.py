"""Checking and re-encoding uploaded images with Pillow: a real image of an allowed format,
within the byte and pixel limits, re-encoded (which drops EXIF, GPS and every other piece of
metadata) and resized for its use."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from app.services.concurrency import run_blocking
from app.services.errors import Invalid, TooLarge

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded


@dataclass(frozen=True)
class Shape:
    width: int
    height: int
    crop: bool  # True: fill the box exactly (avatar); False: fit inside it


SHAPES = {
    "avatar": Shape(400, 400, crop=True),
    "banner": Shape(1500, 500, crop=True),
    "post": Shape(1600, 1600, crop=False),
    "cover": Shape(1200, 1200, crop=False),
    "page": Shape(2000, 3000, crop=False),
    "preview": Shape(1000, 1000, crop=False),
}


def read_limited(upload: BinaryIO, limit: int, field: str) -> bytes:
    """Read an upload, refusing it (413) as soon as it passes `limit` bytes."""
    data = upload.read(limit + 1)
    if len(data) > limit:
        message = f"The file is larger than {limit // (1024 * 1024)} MB."
        raise TooLarge(message, code="file_too_large", fields={field: message})
    return data


def open_checked(data: bytes, field: str) -> Image.Image:
    """A decoded, verified image, or Invalid."""
    bad = Invalid(
        "That file is not an image we accept (JPEG, PNG, WebP or GIF).",
        code="invalid_image",
        fields={field: "Not a JPEG, PNG, WebP or GIF image."},
    )
    if not data:
        raise bad
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise bad
            if probe.width * probe.height > MAX_PIXELS:
                raise bad
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError):
        raise bad from None
    return image


def _reencode(data: bytes, shape_name: str, field: str) -> bytes:
    image = open_checked(data, field)
    image = ImageOps.exif_transpose(image)  # honour orientation, then the EXIF is gone
    shape = SHAPES[shape_name]
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    if shape.crop:
        image = ImageOps.fit(image, (shape.width, shape.height), Image.Resampling.LANCZOS)
    else:
        image.thumbnail((shape.width, shape.height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85, method=4)
    return out.getvalue()


def process_image(upload: BinaryIO, shape: str, *, field: str = "image") -> bytes:
    """Read, check and re-encode an uploaded image as WebP for `shape`."""
    data = read_limited(upload, current_app.config["MAX_IMAGE_BYTES"], field)
    return run_blocking(_reencode, data, shape, field)
