"""The live notification badge in real Chromium, and the same flow with JavaScript off."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import bearer, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def sign_in_page(app, live_server, page, user) -> None:
    """A real signed-in session cookie in the page's browser context."""
    client = app.test_client()
    sign_in(client, user)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value,
                               "domain": urlsplit(live_server).hostname, "path": "/"}])


def follow_through_the_api(app, live_server, follower, followee) -> None:
    request = urllib.request.Request(
        f"{live_server}/api/social/follow", method="POST",
        data=json.dumps({"user_id": followee.id}).encode(),
        headers={**bearer(app, follower), "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.load(response) == {"following": True}


def test_the_badge_counts_up_live_when_someone_follows_me(app, live_server, browser_page):
    bea, ada = UserFactory(display_name="Bea"), UserFactory(display_name="Ada")
    page = browser_page(True)
    sign_in_page(app, live_server, page, bea)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    with page.expect_response(lambda r: r.url.endswith("/events")) as stream:
        page.goto("/notifications")
    assert stream.value.status == 200
    expect(page.locator("#nav-notifications")).to_have_text("Notifications")
    loads = len(navigations)

    follow_through_the_api(app, live_server, ada, bea)

    expect(page.locator("#notifications-badge")).to_have_text("1")
    # The list on the open page gained the new entry too.
    expect(page.locator("#notifications-list .notification").first).to_contain_text("Ada followed you")
    assert len(navigations) == loads  # no reload

    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#notifications-badge")).to_have_count(0)
    expect(page.locator("#notifications-unread")).to_have_text("0 unread")
    assert len(navigations) == loads


def test_new_posts_link_appears_on_the_home_feed(app, live_server, browser_page):
    bea, ada = UserFactory(display_name="Bea"), UserFactory(display_name="Ada")
    follow_through_the_api(app, live_server, bea, ada)
    page = browser_page(True)
    sign_in_page(app, live_server, page, bea)
    with page.expect_response(lambda r: r.url.endswith("/events")):
        page.goto("/home")
    request = urllib.request.Request(
        f"{live_server}/api/posts/create", method="POST", data=json.dumps({"body": "Fresh"}).encode(),
        headers={**bearer(app, ada), "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 201
    link = page.locator("#new-posts a")
    expect(link).to_have_text("1 new post — show")
    link.click()
    expect(page.locator("#home-feed")).to_contain_text("Fresh")


def test_without_javascript_the_badge_is_server_rendered(app, live_server, browser_page):
    bea, ada = UserFactory(display_name="Bea"), UserFactory(display_name="Ada")
    page = browser_page(False)
    sign_in_page(app, live_server, page, bea)
    page.goto("/")
    expect(page.locator("#nav-notifications")).to_have_text("Notifications")
    follow_through_the_api(app, live_server, ada, bea)
    page.reload()
    expect(page.locator("#notifications-badge")).to_have_text("1")
    page.locator("#nav-notifications a").click()
    expect(page.locator("#notifications-unread")).to_have_text("1 unread")
    page.get_by_role("link", name="followed you").click()
    expect(page).to_have_url(f"{live_server}/u/{ada.username}")
    expect(page.locator("#notifications-badge")).to_have_count(0)
    page.goto("/notifications")
    expect(page.locator("#notifications-unread")).to_have_text("0 unread")
    expect(page.locator(".notification.unread")).to_have_count(0)
