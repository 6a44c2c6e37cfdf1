"""Images of items: originals re-encoded (metadata stripped), previews downscaled and,
for paid items, watermarked. Each is checked from its header, then decoded in its turn
(app/services/media/decoding.py)."""

from __future__ import annotations

from PIL import Image, ImageDraw

from app.services.media.decoding import decode_in_turn
from app.services.media.images import USES, check_image, decode, encode, finished, resized

ART, PAGE = USES["art"], USES["page"]
PREVIEW_MAX = 800
WATERMARK = "DreamDot preview"


def _watermark(image: Image.Image) -> Image.Image:
    image = image.convert("RGBA")
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    step_x, step_y = max(image.width // 3, 80), max(image.height // 6, 40)
    for row, y in enumerate(range(0, image.height, step_y)):
        for x in range(-step_x if row % 2 else 0, image.width, step_x):
            draw.text((x + 4, y + 4), WATERMARK, fill=(255, 255, 255, 150))
            draw.text((x + 5, y + 5), WATERMARK, fill=(0, 0, 0, 110))
    return Image.alpha_composite(image, layer)


def _process(data: bytes, field: str, watermark: bool) -> dict:
    decoded = decode(data, ART, field)
    original, orientation = resized(decoded, decoded.box(ART), crop=False), decoded.orientation
    del decoded  # the full-size image goes before anything else is made
    preview = original.copy()
    preview.thumbnail((PREVIEW_MAX, PREVIEW_MAX), Image.Resampling.LANCZOS)
    original, preview = finished(original, orientation), finished(preview, orientation)
    if watermark:
        preview = _watermark(preview)
    return {
        "original": encode(original, 90),
        "preview": encode(preview, 70),
        "width": original.width,
        "height": original.height,
    }


def process_art_image(data: bytes, *, field: str, watermark: bool) -> dict:
    """{"original", "preview" (WebP bytes), "width", "height"}, or Invalid, TooLarge or Busy."""
    cost = check_image(data, ART, field, boxes=((PREVIEW_MAX, PREVIEW_MAX),))
    return decode_in_turn(cost, _process, data, field, watermark)


def _page(data: bytes, field: str) -> bytes:
    decoded = decode(data, PAGE, field)
    page, orientation = resized(decoded, decoded.box(PAGE), crop=False), decoded.orientation
    del decoded
    page = finished(page, orientation)
    return encode(page, 88)


def process_comic_page(data: bytes, *, field: str) -> bytes:
    cost = check_image(data, PAGE, field)
    return decode_in_turn(cost, _page, data, field)
