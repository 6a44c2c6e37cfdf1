"""Checking and re-encoding uploaded images with Pillow: a real image of an allowed format,
within the byte limit and the pixel limit of its use, re-encoded (which drops EXIF, GPS and
every other piece of metadata) and resized for its use.

An upload is checked from its header first (Pillow's `Image.open` reads only the header):
format, pixels, and the memory its decoding will take. Then it is decoded in its turn
(app/services/media/decoding.py) with as little memory as Pillow allows: a JPEG is decoded
at the smallest scale the result needs (`Image.draft`), and the decoded image is converted
and resized a strip of rows at a time, so that the only full-size image in memory is the
decoded one, in its own mode (1 byte a pixel for a palette or greyscale PNG, 4 for RGB)."""

from __future__ import annotations

import io
import logging
import math
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from PIL import ExifTags, Image, UnidentifiedImageError

from app.services.errors import Invalid, TooLarge
from app.services.media.decoding import decode_in_turn

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MEGAPIXEL = 1_000_000
MAX_PIXELS = 40 * MEGAPIXEL  # no use takes more; a decompression bomb is refused before it is decoded

log = logging.getLogger("dreamdot.media")


@dataclass(frozen=True)
class Use:
    """What an image is for: the box it is made to fit (or, with `crop`, to fill exactly)
    and the most pixels an upload for it may have."""

    name: str
    width: int
    height: int
    crop: bool
    max_pixels: int


USES = {
    "avatar": Use("avatar", 400, 400, crop=True, max_pixels=16 * MEGAPIXEL),
    "icon": Use("community icon", 400, 400, crop=True, max_pixels=16 * MEGAPIXEL),
    "banner": Use("banner", 1500, 500, crop=True, max_pixels=32 * MEGAPIXEL),
    "post": Use("post image", 1600, 1600, crop=False, max_pixels=32 * MEGAPIXEL),
    "cover": Use("cover", 1200, 1200, crop=False, max_pixels=32 * MEGAPIXEL),
    "page": Use("comic page", 2000, 3000, crop=False, max_pixels=40 * MEGAPIXEL),
    "art": Use("art original", 4096, 4096, crop=False, max_pixels=40 * MEGAPIXEL),
}


def read_limited(upload: BinaryIO, limit: int, field: str) -> bytes:
    """Read an upload, refusing it (413) as soon as it passes `limit` bytes."""
    data = upload.read(limit + 1)
    if len(data) > limit:
        message = f"The file is larger than {limit // (1024 * 1024)} MB."
        raise TooLarge(message, code="file_too_large", fields={field: message})
    return data


# Checking, from the header ------------------------------------------------------------


def check_image(data: bytes, use: Use, field: str, boxes: tuple[tuple[int, int], ...] = ()) -> int:
    """The memory (bytes) that making `use`'s image (and one for each of `boxes`) from `data`
    will take at most, once the header shows an image of an accepted format within `use`'s
    pixel limit. Otherwise Invalid (not an image we accept) or TooLarge (too many pixels). A
    refusal is bad input, not a failure: it is logged as one warning line, no traceback."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise _refused(field, f"format {probe.format} not accepted", data)
            if probe.width * probe.height > pixel_limit(use, probe.format):
                raise _too_many_pixels(use, field, probe, data)
            probe.verify()
        probe = Image.open(io.BytesIO(data))
        _draft(probe, use)
        return estimate_bytes(probe, [(use.width, use.height), *boxes], use.crop)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(use, field, None, data) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refused(field, f"not decodable ({type(exc).__name__})", data) from None


def pixel_limit(use: Use, image_format: str | None = None) -> int:
    """The most pixels an upload for `use` may have: a WebP a quarter of the others, as its
    decoding takes four times the memory (WEBP_DECODE_BYTES_PER_PIXEL); a JPEG the global cap
    for every use, as it is decoded at the scale the use needs (`_draft`), so a phone's
    24-megapixel photo makes an avatar for a fraction of its full size."""
    if image_format == "JPEG":
        return MAX_PIXELS
    limit = min(use.max_pixels, MAX_PIXELS)
    return limit // 4 if image_format == "WEBP" else limit


def _refused(field: str, reason: str, data: bytes) -> Invalid:
    log.warning("image refused for %s: %s (%d bytes)", field, reason, len(data))
    return Invalid(
        "That file is not an image we accept (JPEG, PNG, WebP or GIF).",
        code="invalid_image",
        fields={field: "Not a JPEG, PNG, WebP or GIF image."},
    )


def _too_many_pixels(use: Use, field: str, probe: Image.Image | None, data: bytes) -> TooLarge:
    """TooLarge naming `use`'s limit (and the WebP one when it applies) and the image's size."""
    webp = probe is not None and probe.format == "WEBP"
    limit = pixel_limit(use, probe.format if probe is not None else None) / MEGAPIXEL
    rule = f"at most {limit:g} megapixels"
    if webp:
        rule += f" as WebP ({pixel_limit(use) / MEGAPIXEL:g} as PNG or GIF)"
    elif probe is not None and probe.format != "JPEG" and pixel_limit(use) < MAX_PIXELS:
        rule += f" as {probe.format} ({MAX_PIXELS / MEGAPIXEL:g} as JPEG)"
    if probe is None:  # so large that Pillow refused to open it
        this, size = "this one has far more", "too many pixels for Pillow"
    else:
        width, height = probe.size
        this = f"this one is {width:,} × {height:,} pixels ({width * height / MEGAPIXEL:.1f} megapixels)"
        size = f"{width}x{height} pixels"
    log.warning("image refused for %s: %s%s, over the %s limit of %g megapixels (%d bytes)",
                field, size, " (WebP)" if webp else "", use.name, limit, len(data))
    article = "An" if use.name[0] in "aeiou" else "A"
    message = f"{article} {use.name} can have {rule}; {this}. Make it smaller and try again."
    return TooLarge(message, code="image_too_large", fields={field: message})


# What decoding costs -------------------------------------------------------------------
#
# Making an image happens in two phases, and its peak memory is the larger of the two:
# decoding and resizing (the decoded image, the resized working copies, a strip being
# converted), then finishing and encoding (each working copy, its finished copy in RGB or
# RGBA, libwebp's buffers). Bytes per pixel below are measured maxima (docs/benchmarks.md,
# "Image uploads"), for content made to be expensive (noise), not for typical photos.

# Bytes Pillow keeps per decoded pixel: 1 for palette, greyscale and bilevel images, 2 for
# 16-bit greyscale, 4 for everything else (RGB is stored in 4 bytes too). A WebP is decoded
# by libwebp into buffers of its own, which Pillow then copies: 16 bytes a pixel.
_ONE_BYTE_MODES = {"1", "L", "P"}
WEBP_DECODE_BYTES_PER_PIXEL = 16
WORKING_BYTES_PER_PIXEL = 4  # a resized image in RGB or RGBa, or its finished copy
# libwebp's encoder: its token buffer grows with the detail in the image (methods 3 to 6),
# and transparency is compressed by its lossless coder, whatever the method.
ENCODE_BYTES_PER_PIXEL = {"alpha": 36, "small": 24, "large": 10}
LARGE_OUTPUT = 4 * MEGAPIXEL  # encoded with method 2 above this: no token buffer, files a little larger
STRIP_PIXELS = 1_000_000  # source pixels converted at a time (see _resample)
STRIP_BYTES = 3 * 4 * STRIP_PIXELS  # a strip cropped, converted, and converted again (RGBA to RGBa)
FIXED_BYTES = 24 * 1024 * 1024  # the upload's bytes and copies of them, Python objects


def decoded_bytes_per_pixel(image: Image.Image) -> int:
    if image.format == "WEBP":
        return WEBP_DECODE_BYTES_PER_PIXEL
    if image.mode in _ONE_BYTE_MODES:
        return 1
    return 2 if image.mode.startswith("I;16") else 4


def estimate_bytes(probe: Image.Image, boxes: list[tuple[int, int]], crop: bool) -> int:
    """Peak memory of decoding `probe` (drafted already) and making an image for each box."""
    outputs = [math.prod(_output_size(probe.size, box, crop)) for box in boxes]
    encoder = ENCODE_BYTES_PER_PIXEL["alpha"] if _has_alpha(probe) else None
    decoding = math.prod(probe.size) * decoded_bytes_per_pixel(probe) + sum(outputs) * WORKING_BYTES_PER_PIXEL \
        + STRIP_BYTES
    # Finishing a working copy holds both for a moment (8 bytes a pixel); the working copy is
    # gone before the finished one is encoded (4 + the encoder's), which is always more.
    finishing = sum(pixels * (WORKING_BYTES_PER_PIXEL + (encoder or _encoder_bytes(pixels))) for pixels in outputs)
    return max(decoding, finishing) + FIXED_BYTES


def _encoder_bytes(pixels: int) -> int:
    return ENCODE_BYTES_PER_PIXEL["large" if pixels > LARGE_OUTPUT else "small"]


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info)


# Decoding and resizing, in the decoding thread -----------------------------------------

ORIENTATION = ExifTags.Base.Orientation
TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
             5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
             8: Image.Transpose.ROTATE_90}


@dataclass
class Decoded:
    image: Image.Image
    orientation: int  # EXIF orientation: 1 upright, 5 to 8 turned a quarter

    @property
    def alpha(self) -> bool:
        return _has_alpha(self.image)

    def box(self, use: Use) -> tuple[int, int]:
        """`use`'s box as the decoded image lies (turned when EXIF says it is shown turned)."""
        return (use.height, use.width) if self.orientation in (5, 6, 7, 8) else (use.width, use.height)


def decode(data: bytes, use: Use, field: str) -> Decoded:
    """`data` decoded (a JPEG at the smallest scale `use` allows), or Invalid (one warning
    line): the header was checked, but the rest of the file may still be broken."""
    try:
        image = Image.open(io.BytesIO(data))
        _draft(image, use)
        image.load()
        return Decoded(image, image.getexif().get(ORIENTATION, 1))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _refused(field, f"not decodable ({type(exc).__name__})", data) from None


def _draft(image: Image.Image, use: Use) -> None:
    """Let a JPEG decode at 1/2, 1/4 or 1/8 scale where `use` needs no more (either way up:
    the EXIF orientation is not known yet). Nothing for other formats."""
    size = image.size
    scale = max(_scale(size, (use.width, use.height), use.crop), _scale(size, (use.height, use.width), use.crop))
    if scale < 1:
        image.draft(None, (max(1, math.ceil(size[0] * scale)), max(1, math.ceil(size[1] * scale))))


def _scale(size: tuple[int, int], box: tuple[int, int], crop: bool) -> float:
    scales = (box[0] / size[0], box[1] / size[1])
    return max(scales) if crop else min(*scales, 1.0)


def _output_size(size: tuple[int, int], box: tuple[int, int], crop: bool) -> tuple[int, int]:
    if crop:
        return box
    scale = _scale(size, box, crop)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _source_box(size: tuple[int, int], box: tuple[int, int], crop: bool) -> tuple[float, float, float, float]:
    """The part of the image that becomes the result: all of it, or the centred part of
    the box's shape (as `ImageOps.fit` takes it)."""
    width, height = size
    if not crop or width * box[1] == height * box[0]:
        return (0.0, 0.0, float(width), float(height))
    if width * box[1] > height * box[0]:  # wider than the box: cut the sides
        cut = height * box[0] / box[1]
        return ((width - cut) / 2, 0.0, (width + cut) / 2, float(height))
    cut = width * box[1] / box[0]
    return (0.0, (height - cut) / 2, float(width), (height + cut) / 2)


def resized(decoded: Decoded, box: tuple[int, int], crop: bool) -> Image.Image:
    """The decoded image made to fit `box` (never enlarged), or with `crop` to fill it, in
    the working mode: RGB, or premultiplied RGBa for an image with transparency."""
    image = decoded.image
    return _resample(image, _source_box(image.size, box, crop), _output_size(image.size, box, crop), decoded.alpha)


def _resample(image: Image.Image, box: tuple[float, float, float, float], size: tuple[int, int],
              alpha: bool) -> Image.Image:
    """`box` of `image` resized to `size` with Lanczos, converting a strip of rows at a time:
    each strip is cropped with the rows its filter reaches on either side, converted to the
    working mode, and resized with the strip's part of `box`. The result is the whole image
    converted and then resized (up to Pillow's rounding), without a second full-size image."""
    x0, y0, x1, y1 = box
    scale_x, scale_y = (x1 - x0) / size[0], (y1 - y0) / size[1]  # source pixels per result pixel
    reach_x = math.ceil(_LANCZOS_SUPPORT * max(scale_x, 1)) + 1
    reach_y = math.ceil(_LANCZOS_SUPPORT * max(scale_y, 1)) + 1
    left, right = max(0, math.floor(x0) - reach_x), min(image.width, math.ceil(x1) + reach_x)
    rows = max(1, int(STRIP_PIXELS / ((right - left) * max(scale_y, 1))))  # result rows a strip
    result = Image.new("RGBa" if alpha else "RGB", size)
    for top in range(0, size[1], rows):
        bottom = min(size[1], top + rows)
        strip_y0, strip_y1 = y0 + top * scale_y, y0 + bottom * scale_y
        upper = max(0, math.floor(strip_y0) - reach_y)
        lower = min(image.height, math.ceil(strip_y1) + reach_y)
        strip = _working(image.crop((left, upper, right, lower)), alpha)
        part = strip.resize((size[0], bottom - top), Image.Resampling.LANCZOS,
                            box=(x0 - left, strip_y0 - upper, x1 - left, strip_y1 - upper))
        result.paste(part, (0, top))
    return result


_LANCZOS_SUPPORT = 3  # source pixels Lanczos reaches either side, at the result's scale


def _working(image: Image.Image, alpha: bool) -> Image.Image:
    if alpha:
        return image.convert("RGBA").convert("RGBa")
    return image.convert("RGB")


def finished(image: Image.Image, orientation: int) -> Image.Image:
    """A working-mode image in RGB or RGBA, turned upright as its EXIF said."""
    if image.mode == "RGBa":
        image = image.convert("RGBA")
    method = TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


def encode(image: Image.Image, quality: int) -> bytes:
    method = 2 if image.width * image.height > LARGE_OUTPUT else 4
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=quality, method=method)
    return out.getvalue()


def _reencode(data: bytes, use: Use, field: str) -> bytes:
    decoded = decode(data, use, field)
    image, orientation = resized(decoded, decoded.box(use), use.crop), decoded.orientation
    del decoded  # the full-size image (and a WebP decoder's buffers) go before anything else is made
    image = finished(image, orientation)  # the working copy goes before the encoding
    return encode(image, 85)


def process_image(upload: BinaryIO, use: str, *, field: str = "image") -> bytes:
    """Read, check and re-encode an uploaded image as WebP for `use` (a key of USES); Busy
    (503) when too many images are being decoded already."""
    data = read_limited(upload, current_app.config["MAX_IMAGE_BYTES"], field)
    cost = check_image(data, USES[use], field)
    return decode_in_turn(cost, _reencode, data, USES[use], field)
