"""Image checks: real images of the allowed formats only, within byte and pixel limits."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from app.services.errors import Invalid, TooLarge
from app.services.media import process_image
from tests.factories import make_image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_allowed_formats_become_webp(fmt):
    data = process_image(io.BytesIO(make_image(fmt, size=(300, 200))), "post")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP" and image.size == (300, 200)  # fits, never enlarged


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO"])
def test_other_formats_are_refused(fmt):
    with pytest.raises(Invalid) as caught:
        process_image(io.BytesIO(make_image(fmt, size=(32, 32))), "avatar", field="avatar")
    assert caught.value.fields == {"avatar": "Not a JPEG, PNG, WebP or GIF image."}


@pytest.mark.parametrize("data", [b"", b"hello", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, make_image("PNG")[:60]])
def test_broken_or_fake_images_are_refused(data):
    with pytest.raises(Invalid):
        process_image(io.BytesIO(data), "avatar")


def test_decompression_bomb_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG")
    assert len(out.getvalue()) < 1024 * 1024
    with pytest.raises(TooLarge) as caught:
        process_image(io.BytesIO(out.getvalue()), "banner")
    assert caught.value.code == "image_too_large" and "at most 32 megapixels" in caught.value.message


def test_an_image_past_pillows_own_bomb_limit_is_too_large_too():
    out = io.BytesIO()
    Image.new("1", (15000, 15000)).save(out, format="PNG")  # 225 megapixels: Pillow refuses to open it
    with pytest.raises(TooLarge) as caught:
        process_image(io.BytesIO(out.getvalue()), "post", field="images")
    assert "at most 32 megapixels" in caught.value.fields["images"]


def test_over_the_byte_limit_is_too_large(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMAGE_BYTES", 1000)
    with pytest.raises(TooLarge) as caught:
        process_image(io.BytesIO(make_image("PNG", size=(400, 400)) + b"\0" * 1000), "avatar", field="avatar")
    assert caught.value.status == 413 and "avatar" in caught.value.fields


def test_exif_orientation_is_applied_then_dropped():
    image = Image.new("RGB", (200, 100), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = process_image(io.BytesIO(out.getvalue()), "post")
    with Image.open(io.BytesIO(data)) as result:
        assert result.size == (100, 200)
        assert len(result.getexif()) == 0


GEVENT_REFUSAL = """
from gevent import monkey
monkey.patch_all()
import logging
logging.basicConfig(level=logging.WARNING)
from app.services.errors import Invalid
from app.services.items.imaging import process_comic_page
try:
    process_comic_page(b"<html>not an image</html>", field="pages")
except Invalid as exc:
    print("refused:", exc.code, exc.fields)
"""


def test_under_gevent_a_refusal_reaches_the_caller_without_a_traceback():
    """gunicorn's gevent worker runs image work in gevent's thread pool, which prints every
    exception leaving it with its traceback: a refusal must come back as an answer instead."""
    result = subprocess.run([sys.executable, "-c", GEVENT_REFUSAL], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "refused: invalid_image {'pages': 'Not a JPEG, PNG, WebP or GIF image.'}\n"
    assert "Traceback" not in result.stderr and "failed with" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines == ["WARNING:dreamdot.media:image refused for pages: not decodable (UnidentifiedImageError) (25 bytes)"]


def test_under_gevent_other_results_and_errors_still_reach_the_caller():
    script = """
from gevent import monkey
monkey.patch_all()
from app.services.concurrency import run_blocking
assert run_blocking(lambda a, b: a + b, 2, 3) == 5
try:
    run_blocking(int, "x")
except ValueError as exc:
    print("raised:", exc)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "raised: invalid literal for int() with base 10: 'x'\n"
    assert "Traceback" not in result.stderr
