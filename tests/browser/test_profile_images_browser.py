"""Profile settings in real Chromium, JavaScript on and off: an avatar over the size limit
and a banner over the pixel limit are refused beside their fields, and the form keeps what was
typed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from app.extensions import db
from app.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

MB = 1024 * 1024


@pytest.fixture(scope="module")
def oversized(tmp_path_factory) -> Path:
    """13 MB: over an avatar's 5 MB and over the whole body the page once read (12 MB). A file
    on disk, which Chromium reads itself (a buffer would cross the DevTools protocol in base64)."""
    path = tmp_path_factory.mktemp("uploads") / "holiday.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (13 * MB))
    return path


@pytest.fixture(scope="module")
def too_many_pixels() -> dict:
    out = io.BytesIO()
    Image.new("1", (6000, 6000)).save(out, format="PNG")  # 36 megapixels in a few KB; a banner takes 32
    return {"name": "wide.png", "mimeType": "image/png", "buffer": out.getvalue()}


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_image_refusals_show_beside_their_field_and_keep_the_typed_text(new_browser_page, javascript, oversized,
                                                                       too_many_pixels):
    user = UserFactory(display_name="Before")
    page = new_browser_page(javascript=javascript)
    page.goto("/signin")
    page.fill("#login", user.username)
    page.fill("#password", PASSWORD)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/signin" not in url)

    page.goto("/settings/profile")
    page.fill("#display_name", "After")
    page.fill("#bio", "Typed before choosing a huge photo")
    page.set_input_files("#avatar", oversized)
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#avatar-error")).to_have_text("The file is larger than 5 MB.")
    expect(page.locator("#avatar")).to_have_attribute("aria-describedby", "avatar-hint avatar-error")
    expect(page.locator("#bio")).to_have_value("Typed before choosing a huge photo")
    expect(page.locator("#display_name")).to_have_value("After")
    expect(page.get_by_role("heading", name="Too large")).to_have_count(0)

    page.set_input_files("#banner", too_many_pixels)
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#banner-error")).to_contain_text("A banner can have at most 32 megapixels")
    expect(page.locator("#avatar-error")).to_have_count(0)
    expect(page.locator("#bio")).to_have_value("Typed before choosing a huge photo")

    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert saved.display_name == "Before" and saved.avatar_key is None and saved.banner_key is None
