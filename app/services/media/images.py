"""Checking and re-encoding uploaded images with Pillow: a real image of an allowed format,
within the byte and pixel limits, re-encoded (which drops EXIF, GPS and every other piece of
metadata) and resized for its use."""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from app.services.concurrency import run_blocking
from app.services.errors import Invalid, TooLarge

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded

log = logging.getLogger("dreamdot.media")


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
    """A decoded, verified image, or Invalid. A refusal is bad input, not a failure: it is
    logged as one warning line, without a traceback."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode(data)
    except _Refused as refused:
        reason = str(refused)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, SyntaxError, ValueError) as exc:
        reason = f"not decodable ({type(exc).__name__})"
    log.warning("image refused for %s: %s (%d bytes)", field, reason, len(data))
    raise Invalid(
        "That file is not an image we accept (JPEG, PNG, WebP or GIF).",
        code="invalid_image",
        fields={field: "Not a JPEG, PNG, WebP or GIF image."},
    )


class _Refused(Exception):
    """Why an upload that Pillow could open is still not accepted."""


def _decode(data: bytes) -> Image.Image:
    if not data:
        raise _Refused("empty")
    probe = Image.open(io.BytesIO(data))
    if probe.format not in ALLOWED_FORMATS:
        raise _Refused(f"format {probe.format} not accepted")
    if probe.width * probe.height > MAX_PIXELS:
        raise _Refused(f"{probe.width}x{probe.height} pixels, over the limit")
    probe.verify()
    image = Image.open(io.BytesIO(data))
    image.load()
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
