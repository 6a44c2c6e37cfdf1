"""Browser fixtures: the test app served from a thread, and Playwright pages in Debian's
Chromium (never a downloaded browser), with JavaScript on or off."""

from __future__ import annotations

import os
import threading

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def live_server(app):
    """The base URL of the session's app, served by werkzeug from a thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def _chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_chromium, live_server):
    """`browser_page(javascript_enabled)`: a fresh page (own cookies) at the live server."""
    contexts = []

    def make(javascript_enabled: bool = True):
        context = _chromium.new_context(base_url=live_server, java_script_enabled=javascript_enabled)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def browser(_chromium):
    return _chromium


@pytest.fixture
def new_page(browser_page):
    """new_page(js=True) -> a page in a fresh browser context (its own cookies)."""
    return lambda js=True: browser_page(js)


def sign_in_browser(page, user, password: str) -> None:
    page.goto("/signin")
    page.fill("input[name='login']", user.username)
    page.fill("input[name='password']", password)
    page.click("form#signin-form button[type='submit']")
    page.wait_for_url("**/")


@pytest.fixture
def new_browser_page(browser_page):
    """new_browser_page(javascript=True) -> a page in a fresh context (its own cookies)."""
    return lambda *, javascript=True: browser_page(javascript)
