"""The look and the first steps in real Chromium at 1280 and 390 px: signing in lands on the
home feed, the front page shows the platform's work, the navigation is one row on a desktop
and a menu on a phone (open without JavaScript), Chat counts unread conversations, Message
opens a conversation, HTMX swaps break no CSP rule, and these pages fit a phone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.services import chat
from tests.browser.conftest import open_account_menu
from tests.factories import PASSWORD, ItemFactory, PostFactory, UserFactory, follow, make_community

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ROW = 64  # px: a header taller than this has wrapped to a second line
# Records the page's CSP violations and HTMX swaps (added before any script of the page runs).
WATCH = """
window.__csp = []; window.__swaps = 0;
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.sourceFile));
document.addEventListener("htmx:afterSwap", () => { window.__swaps += 1; });
"""


def sign_in(page, user) -> None:
    page.goto("/signin")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*signin).*$"))


def header_height(page) -> float:
    return page.locator(".site-header").bounding_box()["height"]


def unread_message(to, sender) -> None:
    for user in (to, sender):
        chat.register_public_key(user.id, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")
    conversation, _ = chat.start_direct_conversation(sender.id, to.id)
    chat.send_message(sender.id, {"conversation_id": str(conversation.id), "client_msg_id": "hi",
                                  "nonce": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB", "ciphertext": "Ag" * 30 + "==",
                                  "epoch": 0})


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_signing_in_lands_on_the_home_feed_with_the_composer(browser_page, javascript):
    me, friend = UserFactory(), UserFactory(display_name="Friend")
    follow(me, friend)
    PostFactory(author_id=friend.id, body="Hello from a friend")
    db.session.commit()
    page = browser_page(javascript)
    sign_in(page, me)
    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    expect(page.get_by_text("Hello from a friend")).to_be_visible()
    expect(page.get_by_role("complementary").get_by_role("heading", name="People to follow")).to_be_visible()
    page.fill("#post-form textarea[name=body]", "My first post from the home page")
    page.click("#post-form button[type=submit]")
    expect(page.locator("#feed-items").get_by_text("My first post from the home page")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_the_front_page_shows_the_work_and_leads_to_sign_up(browser_page, javascript):
    maker = UserFactory(display_name="Zine Maker")
    ItemFactory(creator_id=maker.id, title="Harbour Zine", popularity=3)
    make_community(name="Weekly Comics")
    db.session.commit()
    page = browser_page(javascript)
    page.set_viewport_size(PHONE)
    page.goto("/")
    for text in ("Harbour Zine", "Zine Maker", "Weekly Comics"):
        expect(page.get_by_text(text, exact=True).first).to_be_attached()
    page.get_by_role("link", name="Create your account").first.click()
    page.wait_for_url("**/signup")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_navigation_is_one_row_on_a_desktop_with_chat_and_its_count(browser_page):
    me, other = UserFactory(display_name="Alexandra Montgomery-Lindqvist"), UserFactory()
    me.is_admin = True
    db.session.commit()
    unread_message(me, other)
    page = browser_page(True)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, me)
    nav = page.get_by_role("navigation", name="Main")
    for width in (900, 1200, 1280):  # narrower, Chat and Notifications keep their icons only
        page.set_viewport_size({"width": width, "height": 800})
        assert header_height(page) <= ROW
        for name in ("Home", "Explore", "Market", "Communities", "Notifications"):
            box = nav.get_by_role("link", name=name).bounding_box()
            assert box["y"] + box["height"] <= ROW, name
        links = page.locator(".nav-links").bounding_box()
        assert links["x"] + links["width"] <= page.locator(".nav-end").bounding_box()["x"], width  # no overlap
    chat_link = nav.get_by_role("link", name=re.compile("^Chat"))
    expect(chat_link).to_have_text(re.compile(r"Chat\s*1"))
    expect(nav.get_by_role("button", name="Sign out")).to_be_hidden()
    open_account_menu(page)
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert header_height(page) <= ROW  # the menu drops over the page
    chat_link.click()
    page.wait_for_url("**/chat")


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_on_a_phone_the_bar_is_compact_and_the_menu_opens_without_javascript(browser_page, javascript):
    me = UserFactory()
    db.session.commit()
    page = browser_page(javascript)
    page.set_viewport_size(PHONE)
    page.goto("/explore")
    assert header_height(page) <= ROW  # signed out: brand, Sign in, Sign up, Menu
    sign_in(page, me)
    assert header_height(page) <= ROW
    market = page.get_by_role("navigation", name="Main").get_by_role("link", name="Market", exact=True)
    expect(market).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    expect(market).to_be_visible()
    market.click()
    page.wait_for_url("**/market")
    open_account_menu(page)
    expect(page.get_by_role("link", name="Settings")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_message_on_a_profile_opens_the_conversation(browser_page):
    me, other = UserFactory(), UserFactory(display_name="Pen Pal")
    db.session.commit()
    page = browser_page(False)
    sign_in(page, me)
    page.goto(f"/u/{other.username}")
    page.get_by_role("button", name="Message").click()
    page.wait_for_url(re.compile(r"/chat/[0-9a-f]{24}$"))


def test_htmx_swaps_apply_no_inline_style(browser_page):
    """A browser sets style attributes itself (a textarea resized by hand): htmx must not copy
    them onto the swapped content, which the CSP (style-src 'self') would refuse."""
    me, author = UserFactory(), UserFactory()
    follow(me, author)
    PostFactory(author_id=author.id, body="Something to like")
    db.session.commit()
    page = browser_page(True)
    page.context.add_init_script(WATCH)
    sign_in(page, me)
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("document.querySelector('#post-form textarea').style.height = '12rem'")
    page.click("#post-form button[type=submit]")  # empty: the form comes back with its error (422)
    expect(page.locator("#post-form .error")).to_be_visible()
    page.evaluate("document.querySelector('#post-form textarea').style.height = '12rem'")
    page.fill("#post-form textarea", "Swapped in without a reload")
    page.click("#post-form button[type=submit]")
    expect(page.locator("#feed-items").get_by_text("Swapped in without a reload")).to_be_visible()
    page.locator(".like-button").last.click()
    expect(page.locator(".like-button.liked")).to_have_count(1)
    assert page.evaluate("window.__swaps") >= 3
    assert page.evaluate("window.__csp") == []


def test_these_pages_fit_a_phone_without_errors(page, javascript_enabled):
    me, maker = UserFactory(bio="See https://example.com/a-very-long-address-that-must-wrap-on-a-phone"), UserFactory()
    ItemFactory(creator_id=maker.id)
    PostFactory(author_id=maker.id, body="x" * 300)
    db.session.commit()
    page.context.add_init_script(WATCH)
    page.set_viewport_size(PHONE)
    signed_out = ["/", "/signin", "/signup", "/explore", f"/u/{me.username}", "/no-such-page"]
    signed_in = ["/", "/explore", f"/u/{me.username}", f"/u/{maker.username}", "/notifications"]
    for path in signed_out + [None] + signed_in:
        if path is None:
            sign_in(page, me)
            continue
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        if javascript_enabled:
            assert page.evaluate("window.__csp") == [], path
    assert page.js_errors == []
    assert [url for url in page.missing if not url.endswith("/no-such-page")] == []
