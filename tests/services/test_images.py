"""Image checks: real images of the allowed formats only, within byte and pixel limits."""

import io

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
    with pytest.raises(Invalid):
        process_image(io.BytesIO(out.getvalue()), "banner")


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
