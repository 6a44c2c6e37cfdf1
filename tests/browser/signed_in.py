"""A browser page already signed in: the real session cookie a test client gets, copied into
the page's own browser context (quicker than typing into the sign-in form every time)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.conftest import sign_in

PHONE = {"width": 390, "height": 844}


def signed_in(app, live_server, new_browser_page, user, *, javascript: bool, phone: bool = False):
    page = new_browser_page(javascript=javascript)
    if phone:
        page.set_viewport_size(PHONE)
    client = app.test_client()
    sign_in(client, user)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value,
                               "domain": urlsplit(live_server).hostname, "path": "/"}])
    return page


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")
