"""Browser tests: the app served from a thread (werkzeug), driven by Playwright in Debian's
Chromium with JavaScript on or off. Never downloads a browser; skips (with the reason) when
Chromium is missing, and CI's DREAMDOT_REQUIRE=browser turns such a skip into a failure."""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(app):
    """The base URL of the session's app, served from a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def _chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_browser_page(_chromium, live_server):
    """Make pages, each in its own browser context (its own cookies, so one per user):
    `new_browser_page()` with JavaScript, `new_browser_page(False)` or
    `new_browser_page(javascript=False)` without."""
    contexts = []

    def make(javascript_enabled: bool = True, *, javascript: bool | None = None):
        enabled = javascript_enabled if javascript is None else javascript
        context = _chromium.new_context(base_url=live_server, java_script_enabled=enabled)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(new_browser_page):
    """The same factory: `browser_page(javascript_enabled)`."""
    return new_browser_page


@pytest.fixture(params=[False, True], ids=["js-off", "js-on"])
def javascript_enabled(request) -> bool:
    """Parametrize a browser test to run once with JavaScript off and once with it on."""
    return request.param


@pytest.fixture
def page(new_browser_page, javascript_enabled):
    """A fresh page with JavaScript on or off that records script errors and 404s."""
    page = new_browser_page(javascript=javascript_enabled)
    page.js_errors, page.missing = [], []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    # "Failed to load resource" is how Chromium logs an expected 422; 404s are listed apart.
    page.on("console", lambda msg: page.js_errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: page.missing.append(r.url) if r.status == 404 else None)
    return page


@pytest.fixture(scope="session")
def browser(_chromium):
    return _chromium


@pytest.fixture
def new_page(new_browser_page):
    """new_page(js=True) -> a page in a fresh browser context (its own cookies)."""
    return lambda js=True: new_browser_page(js)


def sign_in_browser(page, user, password: str) -> None:
    page.goto("/signin")
    page.fill("input[name='login']", user.username)
    page.fill("input[name='password']", password)
    page.click("form#signin-form button[type='submit']")
    page.wait_for_url("**/")


def open_account_menu(page) -> None:
    """Open the navigation's account menu (profile, settings, sign out): a <details>, so a
    click opens it with JavaScript on or off."""
    menu = page.locator(".nav-account")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
