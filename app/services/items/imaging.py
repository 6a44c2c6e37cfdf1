"""Images of items: originals re-encoded (metadata stripped), previews downscaled and,
for paid items, watermarked. CPU work runs through `run_blocking`."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageOps

from app.services.concurrency import run_blocking
from app.services.media.images import open_checked

ORIGINAL_MAX = 4096
PREVIEW_MAX = 800
WATERMARK = "DreamDot preview"


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=quality, method=4)
    return out.getvalue()


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
    image = ImageOps.exif_transpose(open_checked(data, field))
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    original = image.copy()
    original.thumbnail((ORIGINAL_MAX, ORIGINAL_MAX), Image.Resampling.LANCZOS)
    preview = image.copy()
    preview.thumbnail((PREVIEW_MAX, PREVIEW_MAX), Image.Resampling.LANCZOS)
    if watermark:
        preview = _watermark(preview)
    return {
        "original": _encode(original, 90),
        "preview": _encode(preview, 70),
        "width": original.width,
        "height": original.height,
    }


def process_art_image(data: bytes, *, field: str, watermark: bool) -> dict:
    """{"original", "preview" (WebP bytes), "width", "height"}, or Invalid."""
    return run_blocking(_process, data, field, watermark)


def _page(data: bytes, field: str) -> bytes:
    image = ImageOps.exif_transpose(open_checked(data, field))
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    image.thumbnail((2000, 3000), Image.Resampling.LANCZOS)
    return _encode(image, 88)


def process_comic_page(data: bytes, *, field: str) -> bytes:
    return run_blocking(_page, data, field)
