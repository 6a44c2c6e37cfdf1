"""Issue 21, the marketplace points in real Chromium, JavaScript on and off: "Subscribers
only" without a plan (point 6), a writing's paywall across edits (point 4), and the item
pages (point 13)."""

from __future__ import annotations

import re

import pytest

from app.documents.items import ItemContent
from tests.browser.signed_in import signed_in
from tests.factories import UserFactory
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
    page.wait_for_url(re.compile(r"/items/new$"))
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
