"""In real Chromium: the analytics page without JavaScript, and a report resolved by an admin
whose outcome the reporter reads in their notifications."""

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


def test_analytics_page_without_javascript_shows_charts_and_tables(browser_page):
    week = build_known_week()
    page = browser_page(False)
    sign_in_with_form(page, week["creator"])
    page.goto("/analytics?from=2026-03-01&to=2026-03-07")
    expect(page.get_by_role("heading", name="Your analytics")).to_be_visible()
    assert page.locator("svg.bars").count() == 12
    views_chart = page.locator("#chart-views svg")
    expect(views_chart).to_be_visible()
    assert views_chart.bounding_box()["height"] > 50
    assert page.locator("#chart-views rect.bar").count() == 7
    rows = page.locator("#table-views tbody tr")
    expect(rows).to_have_count(7)
    assert rows.nth(0).inner_text().split() == [DAYS[0], "2"]
    expect(page.locator("#table-earnings_cents")).to_be_visible()
    assert page.locator("#table-earnings_cents tbody tr").nth(4).inner_text().split() == [DAYS[4], "-$9.00"]
    expect(page.locator("#mrr")).to_have_text("$4.50")
    # The range form works without JavaScript too.
    page.get_by_role("button", name="Last 7 days").click()
    expect(page.locator("#table-views tbody tr")).to_have_count(7)
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
