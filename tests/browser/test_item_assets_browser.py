"""The edit page's image list in real Chromium: with JavaScript the buttons swap the list in
place (HTMX, no page load); without it they are plain forms that come back to the page."""

import pytest
from playwright.sync_api import expect

from app.documents.items import ItemContent
from app.extensions import db
from tests.browser.test_items_browser import sign_in_browser
from tests.factories import PASSWORD, UserFactory
from tests.items_helpers import new_item, png, request_context

pytestmark = pytest.mark.browser


def art_item(app, creator):
    gen = request_context(app)
    next(gen)
    try:
        item = new_item(creator, kind="art", title="Three studies",
                        files=[png((200, 0, 0)), png((0, 200, 0)), png((0, 0, 200))], alts=["Red", "Green", "Blue"])
        db.session.commit()
        return item
    finally:
        gen.close()


def alts(page) -> list[str]:
    return page.eval_on_selector_all("#item-assets li img", "els => els.map(e => e.alt)")


def test_move_and_remove_in_place_with_javascript(app, new_browser_page):
    creator = UserFactory()
    item = art_item(app, creator)
    page = new_browser_page()
    sign_in_browser(page, creator, PASSWORD)
    page.goto(f"/items/{item.id}/edit")
    assert alts(page) == ["Red", "Green", "Blue"]
    page.evaluate("window.__same_page = true")  # gone if the browser loads a new page
    with page.expect_response(lambda r: r.url.endswith("/move")) as answer:
        page.locator("#item-assets li").nth(0).locator("button", has_text="Move down").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#item-assets li img").first).to_have_attribute("alt", "Green")
    assert alts(page) == ["Green", "Red", "Blue"]
    page.locator("#item-assets li").nth(2).locator("button", has_text="Remove").click()
    expect(page.locator("#item-assets li")).to_have_count(2)
    assert alts(page) == ["Green", "Red"]
    assert "Removed the image." in page.inner_text("#item-assets")
    assert page.evaluate("window.__same_page") is True
    assert [i.alt for i in ItemContent.objects.get(item_id=item.id).images] == ["Green", "Red"]


def test_move_and_remove_without_javascript(app, new_browser_page):
    creator = UserFactory()
    item = art_item(app, creator)
    page = new_browser_page(javascript=False)
    sign_in_browser(page, creator, PASSWORD)
    page.goto(f"/items/{item.id}/edit")
    with page.expect_navigation():
        page.locator("#item-assets li").nth(2).locator("button", has_text="Move up").click()
    assert page.url.endswith(f"/items/{item.id}/edit#item-assets")
    assert alts(page) == ["Red", "Blue", "Green"] and "Moved the image up." in page.inner_text("main")
    with page.expect_navigation():
        page.locator("#item-assets li").nth(0).locator("button", has_text="Remove").click()
    assert alts(page) == ["Blue", "Green"]
    page.locator("#item-assets li").nth(0).locator("input[name='alt']").fill("A blue square")
    with page.expect_navigation():
        page.locator("#item-assets li").nth(0).locator("button", has_text="Save alt text").click()
    assert alts(page) == ["A blue square", "Green"]
