"""Sign-up and sign-in in real Chromium, with JavaScript on and off: every problem shown
beside its field at once, and a rate limit's answer shown in the form, as typed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.extensions import limiter
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def tight_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP_ATTEMPTS", "2 per minute")
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNIN", "1 per minute")
    limiter.reset()
    yield
    limiter.reset()


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_signup_and_signin_show_every_error_and_their_limits(new_browser_page, tight_limits, javascript):
    taken = UserFactory()
    page = new_browser_page(javascript=javascript)
    page.goto("/signup")
    page.fill("#username", taken.username)
    page.fill("#email", "not-an-address")
    page.fill("#password", "short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#username-error")).to_have_text("That username is taken.")
    expect(page.locator("#email-error")).to_contain_text("Enter a valid email address")
    expect(page.locator("#password-error")).to_have_text("Use at least 10 characters.")

    page.fill("#username", "fresh_face")
    page.fill("#email", "fresh@example.com")
    page.fill("#password", "short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#username-error")).to_have_count(0)
    expect(page.locator("#password-error")).to_be_visible()

    page.fill("#password", "a long and private passphrase")
    page.get_by_role("button", name="Sign up").click()  # the third attempt in the minute
    expect(page.locator("#signup-form .form-errors")).to_have_text(
        re.compile(r"Too many sign-up attempts from this network\. Try again in \d+ (seconds?|minutes?)\."))
    expect(page.locator("#username")).to_have_value("fresh_face")
    expect(page.locator("#email")).to_have_value("fresh@example.com")

    page.goto("/signin")
    page.fill("#login", taken.username)
    page.fill("#password", "not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-form .form-errors")).to_be_visible()
    page.fill("#password", "still not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-form .form-errors")).to_have_text(
        re.compile(r"Too many failed sign-ins from this network\. Try again in"))
    expect(page.locator("#login")).to_have_value(taken.username)
