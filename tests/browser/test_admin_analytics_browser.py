"""In real Chromium: the analytics page on a phone with JavaScript on and off, and a report
resolved by an admin whose outcome the reporter reads in their notifications."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.factories import PASSWORD, PostFactory, UserFactory
from tests.factories.analytics import DAYS, build_known_week

pytestmark = pytest.mark.browser


def sign_in_with_form(page, user) -> None:
    page.goto("/signin")
    page.fill("input[name='login']", user.username)
    page.fill("input[name='password']", PASSWORD)
    page.click("form#signin-form button[type='submit']")
    page.wait_for_url(lambda url: "/signin" not in url)


# In the page: how big each axis label is drawn (its font size times the SVG's scale), and
# whether its box stays inside the view box (a cut label read "12-0").
LABELS = """() => [...document.querySelectorAll('svg.bars')].flatMap(svg => {
  const box = svg.viewBox.baseVal, scale = svg.getBoundingClientRect().width / box.width;
  return [...svg.querySelectorAll('text.axis')].map(t => {
    const b = t.getBBox();
    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
            box: [b.x, b.y, b.width, b.height], inside: b.x >= 0 && b.y >= 0 && b.x + b.width <= box.width && b.y + b.height <= box.height};
  });
})"""


def check_phone_layout(page) -> None:
    """At 390 px: no sideways scrolling, tables closed, every label whole and at least 12 px."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("details.figures-details").count() == 12
    assert page.locator("details.figures-details[open]").count() == 0
    assert page.evaluate("""() => [...document.querySelectorAll('#analytics-report table')]
        .every(t => t.parentElement.classList.contains('table-scroll'))""")
    labels = page.evaluate(LABELS)
    assert len(labels) >= 12 * 4
    assert [label for label in labels if label["px"] < 12 or not label["inside"]] == []


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_analytics_on_a_phone_shows_charts_with_their_tables_closed(browser_page, javascript):
    week = build_known_week()
    page = browser_page(javascript)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_with_form(page, week["creator"])
    page.goto("/analytics?from=2026-03-01&to=2026-03-07")
    expect(page.get_by_role("heading", name="Your analytics")).to_be_visible()
    assert page.locator("svg.bars").count() == 12
    views_chart = page.locator("#chart-views svg")
    expect(views_chart).to_be_visible()
    assert views_chart.bounding_box()["height"] > 50
    assert page.locator("#chart-views rect.bar").count() == 7
    expect(page.locator(".table-scroll > #table-items")).to_be_visible()
    check_phone_layout(page)
    # A closed table opens on a click, with or without JavaScript (<details>).
    expect(page.locator("#table-views")).to_be_hidden()
    page.locator("#chart-views summary").click()
    rows = page.locator("#table-views tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.nth(0)).to_be_visible()
    assert rows.nth(0).inner_text().split() == [DAYS[0], "2"]
    page.locator("#chart-earnings_cents summary").click()
    expect(page.locator("#table-earnings_cents")).to_be_visible()
    assert page.locator("#table-earnings_cents tbody tr").nth(4).inner_text().split() == [DAYS[4], "-$9.00"]
    expect(page.locator("#mrr")).to_have_text("$4.50")
    # The range form, a page without JavaScript and a swapped report with it.
    page.get_by_role("button", name="Last 90 days").click()
    expect(page.get_by_text("(90 days, UTC)")).to_be_visible()
    check_phone_layout(page)
    if javascript:
        return
    with page.expect_download() as download:
        page.goto("/analytics?from=2026-03-01&to=2026-03-07")
        page.get_by_role("link", name="Download views as CSV").click()
    assert download.value.suggested_filename == "views-2026-03-01-2026-03-07.csv"


def test_admin_resolves_a_report_and_the_reporter_sees_the_outcome(browser_page):
    author, reporter = UserFactory(username="troll"), UserFactory(username="reporter")
    admin = UserFactory(username="operator", is_admin=True)
    post = PostFactory(author_id=author.id, body="Something nasty")
    db.session.commit()

    reporter_page = browser_page(True)
    sign_in_with_form(reporter_page, reporter)
    reporter_page.goto(f"/reports/new?target_type=post&target_id={post.id}")
    reporter_page.fill("textarea[name='reason']", "Insults in the post")
    reporter_page.get_by_role("button", name="Send report").click()
    reporter_page.wait_for_url(f"**/posts/{post.id}")

    admin_page = browser_page(False)
    sign_in_with_form(admin_page, admin)
    admin_page.goto("/admin/reports")
    card = admin_page.locator("article.card", has_text="Insults in the post")
    expect(card).to_be_visible()
    card.get_by_role("button", name="Remove the content").click()
    expect(admin_page.get_by_text("No open reports.")).to_be_visible()

    reporter_page.goto("/notifications")
    expect(reporter_page.get_by_text("we removed it")).to_be_visible()
    reporter_page.goto(f"/posts/{post.id}")
    expect(reporter_page.get_by_text("Something nasty")).to_have_count(0)
