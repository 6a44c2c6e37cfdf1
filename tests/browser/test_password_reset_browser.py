"""The password reset in real Chromium, with JavaScript off and on: "Forgot your password?"
on the sign-in page, the request, the mail read from the local SMTP server (the developers'
mailbox page shows its Maildir), the link, a refused weak password, the new one, and signing
in with it."""

import re

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.mail import links_in, mails_to

pytestmark = pytest.mark.browser

NEW_PASSWORD = "meadow-lantern-3318"


def test_forgot_password_by_mail(page, javascript_enabled, live_server):
    user = UserFactory(username="rosa", email="rosa@example.com")
    page.goto("/signin")
    if javascript_enabled:
        page.wait_for_function("() => window.htmx !== undefined")  # HTMX drives the forms

    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_role("heading", name="Reset your password").wait_for()
    page.get_by_label("Email").fill("ROSA@example.com")
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_role("heading", name="Check your mail").wait_for()
    assert "If an account on DreamDot uses that address" in page.content()

    # The mail, as the local SMTP server received it, and on the developers' mailbox page.
    (mail,) = mails_to(user.email)
    (link,) = [link for link in links_in(mail) if "/password-reset/confirm?token=" in link]
    assert link.startswith(f"{live_server}/password-reset/confirm?token=")
    page.goto("/dev/mail")
    page.get_by_role("link", name="Reset your DreamDot password").click()
    page.locator(".mail-body a[href*='/password-reset/confirm?token=']").click()

    page.get_by_role("heading", name="Choose a new password").wait_for()
    assert "@rosa" in page.content()
    page.get_by_label("New password").fill("rosa-is-me-1")  # contains the username
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_text("The password must not contain your username.").wait_for()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    page.wait_for_url(re.compile(r"/signin$"))
    page.get_by_text("Your new password is set and every device is signed out.").wait_for()

    # The old password no longer signs in; the new one does.
    page.get_by_label("Username or email").fill("rosa")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("do not match an account").wait_for()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Home").wait_for()

    # The link worked once.
    page.goto(link.removeprefix(live_server))
    page.get_by_text("This link is used, expired or not valid.").wait_for()
    assert page.get_by_role("link", name="Ask for a new link").is_visible()
    assert page.js_errors == []
    assert page.missing == []  # the favicon too
