"""What a person does first, in real Chromium with JavaScript off and on: sign up, sign
out, sign in, edit the profile with an avatar, sign out."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from tests.browser.conftest import open_account_menu
from tests.factories import make_image

pytestmark = pytest.mark.browser


def test_signup_signin_edit_profile_signout(page, javascript_enabled):
    password = "violet-kettle-9921"
    page.goto("/")
    if javascript_enabled:
        page.wait_for_function("() => window.htmx !== undefined")  # HTMX drives the forms

    # Sign up
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/u/alice$"))
    assert page.get_by_role("heading", name="alice").is_visible()
    assert "Welcome to DreamDot" in page.content()

    # Sign out (from the account menu), then sign in again by email
    open_account_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("link", name="Sign in", exact=True).is_visible()
    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_label("Username or email").fill("alice@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("do not match an account").wait_for()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Home").wait_for()

    # Edit the profile with an avatar
    open_account_menu(page)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Display name").fill("Alice Wonder")
    page.get_by_label("Bio").fill("I draw comics about cats.")
    page.get_by_label("Avatar").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": make_image("PNG", size=(640, 480))})
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(re.compile(r"/u/alice$"))
    page.get_by_role("heading", name="Alice Wonder").wait_for()
    assert page.get_by_text("I draw comics about cats.").is_visible()
    avatar = page.get_by_role("img", name="Avatar of Alice Wonder")
    src = avatar.get_attribute("src")
    assert src.startswith("/media/public/profiles/") and src.endswith(".webp")
    image = page.request.get(src)
    assert image.status == 200 and image.headers["content-type"] == "image/webp"

    # Sign out
    open_account_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in", exact=True).wait_for()
    assert page.request.get("/settings/profile", max_redirects=0).status == 302
    assert page.js_errors == []
    assert page.missing == []  # the favicon too

    user = db.session.scalar(sa.select(User).where(User.username == "alice"))
    assert user.display_name == "Alice Wonder" and user.avatar_key
