"""Issue 21, the marketplace points in real Chromium, JavaScript on and off: "Subscribers
only" without a plan (point 6), a writing's paywall across edits (point 4), and the item
pages (point 13)."""

from __future__ import annotations

import re

import pytest

from tests.browser.signed_in import signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_subscribers_only_without_a_plan_leads_to_the_plan_and_back(app, live_server, new_browser_page, javascript):
    page = signed_in(app, live_server, new_browser_page, UserFactory(), javascript=javascript)
    page.goto("/items/new?kind=writing")
    page.fill("input[name='title']", "Letters to members")
    page.select_option("select[name='pricing']", "subscription")
    page.fill("textarea[name='body']" if not javascript else ".ql-editor", "Dear members,")
    page.click("form#item-form button[type='submit']")
    error = page.locator("#pricing-error")
    error.wait_for()
    assert "you have none yet" in error.inner_text()
    page.click("#plan-needed >> text=Create your plan first")
    page.wait_for_url(re.compile(r"/settings/shop\?next="))
    page.fill("input[name='price']", "3")
    page.click("form#plan-form button[type='submit']")
    page.wait_for_url(re.compile(r"/items/new$"))
    assert page.locator("#plan-needed").count() == 0
