"""Issue 21, the marketplace points in real Chromium, JavaScript on and off: "Subscribers
only" without a plan (point 6), a writing's paywall across edits (point 4), and the item
pages (point 13)."""

from __future__ import annotations

import re

import pytest

from app.documents.items import ItemContent
from tests.browser.signed_in import PHONE, signed_in
from tests.factories import UserFactory, fund, make_image, make_plan
from tests.items_helpers import committed_item

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
    page.wait_for_url(re.compile(r"/items/new\?kind=writing$"))
    assert page.locator("#plan-needed").count() == 0


def contrast(page, selector: str) -> float:
    """The WCAG contrast ratio of an element's text colour on its background colour."""
    return page.evaluate("""(selector) => {
      const style = getComputedStyle(document.querySelector(selector));
      const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
      const lum = (c) => { const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                           return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
      return (a + 0.05) / (b + 0.05);
    }""", selector)


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_editing_a_writing_twice_keeps_its_free_preview(app, live_server, new_browser_page, javascript):
    creator = UserFactory()
    item = committed_item(app, creator, kind="writing", pricing="one_time", price_cents=300,
                          body="The free opening.\n\n---paywall---\n\nThe paid ending.")
    page = signed_in(app, live_server, new_browser_page, creator, javascript=javascript)
    for title in ("Revised once", "Revised twice"):
        page.goto(f"/items/{item.id}/edit")
        if javascript:
            editor = page.locator(".ql-editor")
            editor.wait_for()
            assert "---paywall---" in editor.inner_text()
            assert contrast(page, "button.paywall-button") >= 4.5  # not white on white
        else:
            assert "---paywall---" in page.input_value("textarea[name='body']")
        page.fill("input[name='title']", title)
        page.click("form#item-form button[type='submit']")
        page.wait_for_url(re.compile(rf"/items/{item.id}$"))
        doc = ItemContent.objects.get(item_id=item.id)
        assert "The free opening." in doc.preview_html and "paid ending" not in doc.preview_html
        assert "The paid ending." in doc.body_html


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_new_art_asks_only_for_images_and_shows_a_large_preview_in_the_market_too(
        app, live_server, new_browser_page, javascript, tmp_path):
    picture = tmp_path / "wide.png"
    picture.write_bytes(make_image(color=(20, 90, 160), size=(1200, 800)))
    page = signed_in(app, live_server, new_browser_page, UserFactory(), javascript=javascript)
    page.goto("/items/new")
    page.click("#kind-step >> text=Digital art")
    page.wait_for_url(re.compile(r"kind=art$"))
    assert page.locator("textarea[name='body'], input[name='pages'], .ql-editor").count() == 0
    page.fill("input[name='title']", "Harbour at dusk")
    page.set_input_files("input[name='files']", str(picture))
    page.check("input[name='publish']")
    page.click("form#item-form button[type='submit']")
    page.wait_for_url(re.compile(r"/items/\d+$"))
    shown = page.locator(".art-image img").first
    shown.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", shown.element_handle()) == 800
    assert shown.bounding_box()["width"] == 800  # the preview as it is, not a 200 px thumbnail
    assert page.locator("text=View the original").count() == 1  # the creator has the original
    page.goto("/market?kind=art")
    card = page.locator(".item-card", has_text="Harbour at dusk")
    assert card.locator("img.card-preview").count() == 1 and card.locator(".cover-empty").count() == 0


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_subscribing_from_an_item_page_comes_back_to_the_item(app, live_server, new_browser_page, javascript):
    creator, fan = UserFactory(), UserFactory()
    make_plan(creator, 250)
    fund(fan, credit=1000)
    item = committed_item(app, creator, kind="writing", pricing="subscription")
    page = signed_in(app, live_server, new_browser_page, fan, javascript=javascript)
    page.goto(f"/items/{item.id}")
    page.click("text=Subscribe for $2.50 a month")
    page.wait_for_url(re.compile(rf"/items/{item.id}$"))
    page.click("text=Continue reading")
    page.wait_for_url(re.compile(rf"/items/{item.id}/read$"))
    assert "The secret ending." in page.inner_text(".prose")


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_the_comic_reader_fills_a_phone_and_speaks_of_taps_there(browser, live_server, app, javascript):
    comic = committed_item(app, UserFactory(), kind="comic", pricing="free")
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript, has_touch=True,
                                  viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"/items/{comic.id}/read?chapter=1&page=1")
        image = page.locator("#comic-page-image")
        assert image.bounding_box()["width"] == PHONE["width"]
        assert page.locator(".tip-touch").is_visible() and not page.locator(".tip-keys").is_visible()
        image.tap()
        page.wait_for_url(re.compile(r"page=2"))
    finally:
        context.close()
    desk = browser.new_context(base_url=live_server, java_script_enabled=javascript)
    try:
        page = desk.new_page()
        page.goto(f"/items/{comic.id}/read?chapter=1&page=1")
        assert page.locator(".tip-keys").is_visible() and not page.locator(".tip-touch").is_visible()
    finally:
        desk.close()
