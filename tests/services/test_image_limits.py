"""Pixel limits per use, checked from the header, and what decoding an image costs."""

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from app.services.errors import TooLarge
from app.services.media import process_image
from app.services.media.images import (
    MAX_PIXELS,
    USES,
    _output_size,
    _resample,
    _source_box,
    check_image,
    pixel_limit,
)

ROOT = Path(__file__).resolve().parents[2]


def png(size: tuple[int, int], mode: str = "1") -> bytes:
    """A PNG of `size` pixels that is a few KB: a bilevel image of one colour."""
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("use", "at_limit"), [
    ("avatar", (4000, 4000)), ("icon", (4000, 4000)), ("banner", (8000, 4000)), ("post", (8000, 4000)),
    ("cover", (8000, 4000)), ("page", (5000, 8000)), ("art", (8000, 5000)),
])
def test_each_use_takes_up_to_its_pixel_limit_and_no_more(use, at_limit):
    assert at_limit[0] * at_limit[1] == USES[use].max_pixels
    assert check_image(png(at_limit), USES[use], "image") > 0
    with pytest.raises(TooLarge) as caught:
        check_image(png((at_limit[0], at_limit[1] + 1)), USES[use], "image")
    limit = USES[use].max_pixels // 1_000_000
    assert caught.value.status == 413 and caught.value.code == "image_too_large"
    assert f"at most {limit} megapixels" in caught.value.message


def test_an_avatar_far_fewer_pixels_than_an_art_original():
    assert USES["avatar"].max_pixels * 2 < USES["art"].max_pixels
    assert max(use.max_pixels for use in USES.values()) == USES["art"].max_pixels


def test_the_issues_png_as_an_avatar_is_refused_naming_the_limit_and_its_size(caplog):
    data = png((6300, 6300), "P")
    assert len(data) < 64 * 1024
    with caplog.at_level(logging.WARNING, logger="dreamdot.media"), pytest.raises(TooLarge) as caught:
        process_image(io.BytesIO(data), "avatar", field="avatar")
    message = caught.value.fields["avatar"]
    assert message == caught.value.message
    assert message.startswith("An avatar can have at most 16 megapixels as PNG (40 as JPEG); this one is 6,300 × 6,300 pixels")
    records = [r for r in caplog.records if r.name == "dreamdot.media"]
    assert [(r.levelno, r.exc_info) for r in records] == [(logging.WARNING, None)]
    assert records[0].getMessage() == (
        f"image refused for avatar: 6300x6300 pixels, over the avatar limit of 16 megapixels ({len(data)} bytes)")


def test_a_phones_24_megapixel_jpeg_makes_an_avatar():
    """A JPEG is decoded at the scale its use needs, so every use takes one up to the global
    cap: the photo a phone takes by default is a valid avatar."""
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), (200, 120, 40)).save(out, format="JPEG", quality=80)
    avatar = Image.open(io.BytesIO(process_image(io.BytesIO(out.getvalue()), "avatar", field="avatar")))
    assert (avatar.format, avatar.size) == ("WEBP", (400, 400))
    assert pixel_limit(USES["avatar"], "JPEG") == MAX_PIXELS > pixel_limit(USES["avatar"], "PNG")


def test_a_webp_may_have_a_quarter_of_the_pixels_as_its_decoding_takes_four_times_the_memory():
    out = io.BytesIO()
    Image.new("RGB", (3000, 3000)).save(out, format="WEBP")  # 9 megapixels: fine as a PNG
    with pytest.raises(TooLarge) as caught:
        check_image(out.getvalue(), USES["post"], "images")
    assert "at most 8 megapixels as WebP (32 as PNG or GIF)" in caught.value.message
    assert check_image(png((3000, 3000)), USES["post"], "images") > 0


def test_a_large_jpeg_costs_what_its_reduced_decoding_takes():
    out = io.BytesIO()
    Image.new("RGB", (4000, 4000), (20, 90, 200)).save(out, format="JPEG")
    as_avatar = check_image(out.getvalue(), USES["avatar"], "avatar")  # decoded at 1/8 scale: 500 x 500
    as_art = check_image(out.getvalue(), USES["art"], "files")  # decoded whole
    assert as_avatar < 40 * 2**20 < 4000 * 4000 * 4 < as_art


def picture(size: tuple[int, int], mode: str) -> Image.Image:
    """Gradients and shapes in `mode`: detail for the resampling filters to work on."""
    image = Image.linear_gradient("L").resize(size).convert("RGBA")
    draw = ImageDraw.Draw(image)
    for i in range(60):
        x, y = (i * 7919) % size[0], (i * 104729) % size[1]
        draw.ellipse((x, y, x + size[0] // 9, y + size[1] // 13), fill=((i * 37) % 256, (i * 91) % 256, 90, 40 + i))
    if mode == "P":
        return image.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE)
    return image.convert(mode)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L", "LA"])
@pytest.mark.parametrize(("size", "box", "crop"), [
    ((3000, 2000), (1600, 1600), False), ((3000, 2000), (400, 400), True), ((1900, 4200), (1500, 500), True),
])
def test_resizing_strip_by_strip_is_resizing_the_whole_image(mode, size, box, crop):
    """Only the decoded image is ever whole: each strip is converted and resized on its own,
    and the result is the picture the whole converted image would give (Pillow rounds the
    edges of its windows a little differently on a strip: at most 1% of pixels off by more
    than 1)."""
    image = picture(size, mode)
    alpha = mode in ("RGBA", "LA")
    source, result_size = _source_box(size, box, crop), _output_size(size, box, crop)
    strips = _resample(image, source, result_size, alpha)
    whole = (image.convert("RGBA").convert("RGBa") if alpha else image.convert("RGB"))
    whole = whole.resize(result_size, Image.Resampling.LANCZOS, box=source)
    assert strips.mode == whole.mode and strips.size == whole.size == (box if crop else strips.size)
    difference = ImageChops.difference(strips, whole)
    off = sum(difference.convert("L").point(lambda v: 1 if v > 1 else 0).histogram()[1:])
    assert off <= strips.width * strips.height // 100  # the same picture, up to Pillow's rounding
    assert max(ImageStat.Stat(difference).mean) < 0.1


def test_exif_orientation_turns_the_image_before_it_fills_a_banner():
    """A phone photo taken upright is stored on its side with orientation 6: the banner is
    cut from the upright photo, with its top still at the top."""
    image = Image.new("RGB", (600, 1800), (250, 250, 250))
    ImageDraw.Draw(image).rectangle((0, 0, 100, 1800), fill=(200, 0, 0))  # red along the stored left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise: the stored left edge is the top
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=95)
    with Image.open(io.BytesIO(process_image(io.BytesIO(out.getvalue()), "banner"))) as banner:
        assert banner.size == (1500, 500)
        assert banner.convert("RGB").getpixel((750, 5))[1] < 60  # the top row is red
        assert banner.convert("RGB").getpixel((750, 495))[1] > 200


@pytest.mark.parametrize(("transparent", "mode"), [(True, "RGBA"), (False, "RGB")])
def test_a_palette_image_keeps_transparency_only_when_it_has_some(transparent, mode):
    image = Image.new("P", (300, 300), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [9] * 762)
    image.paste(0, (0, 0, 150, 300))  # the left half is colour 0, transparent when it says so
    out = io.BytesIO()
    image.save(out, format="PNG", **({"transparency": 0} if transparent else {}))
    with Image.open(io.BytesIO(process_image(io.BytesIO(out.getvalue()), "post"))) as result:
        assert result.mode == mode and result.size == (300, 300)


MEASURE = """
import io, json, os, sys
from PIL import Image
from app.services.media.images import USES, _reencode, check_image

def tiles(mode, size):
    # Noise, 64 pixels square, repeated: a PNG of a few hundred KB that is as expensive to
    # encode as an image can be (libwebp's buffers grow with detail).
    tile = Image.frombytes(mode, (64, 64), os.urandom(64 * 64 * len(mode)))
    image = Image.new(mode, size)
    for x in range(0, size[0], 64):
        for y in range(0, size[1], 64):
            image.paste(tile, (x, y))
    out = io.BytesIO()
    image.save(out, format=sys.argv[3])
    return out.getvalue()

def kib(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])

use, mode, fmt, width, height = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
data = tiles(mode, (width, height))
if use == "art":
    from app.services.items.imaging import PREVIEW_MAX, _process
estimate = check_image(data, USES[use], "image", ((PREVIEW_MAX, PREVIEW_MAX),) if use == "art" else ())
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # the peak (VmHWM) starts again from here
before = kib("VmRSS:")
if use == "art":
    _process(data, "image", True)
else:
    _reencode(data, USES[use], "image")
print(json.dumps({"estimate": estimate, "peak": (kib("VmHWM:") - before) * 1024}))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc to measure the peak")
@pytest.mark.parametrize("case", [
    ("post", "RGBA", "PNG", 4000, 4000), ("post", "RGB", "WEBP", 2000, 2000), ("art", "RGB", "PNG", 3000, 3000),
])
def test_the_estimate_is_above_the_measured_peak(case):
    """What a turn reserves (check_image) is at least what making the image takes, measured
    as the peak RSS of a process that does only that, on content made to be expensive."""
    result = subprocess.run([sys.executable, "-c", MEASURE, *map(str, case)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["peak"] > 20 * 2**20  # it did measure the work
    assert figures["estimate"] >= figures["peak"], figures
