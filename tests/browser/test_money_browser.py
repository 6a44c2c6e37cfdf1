"""Issue 21, the money points in real Chromium, JavaScript on and off: the wallet without
Stripe says so where its buttons would be and never ends in a dead end (point 10), and it
lists purchases, sales and transactions by title and name in tables that scroll inside
themselves on a phone (point 11)."""

from __future__ import annotations

import pytest

from app.services.payments import purchases
from tests.browser.signed_in import PHONE, page_width, signed_in
from tests.factories import UserFactory, fund, make_item

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_without_stripe_the_wallet_explains_and_the_topup_page_leads_back(app, live_server, new_browser_page,
                                                                         javascript):
    page = signed_in(app, live_server, new_browser_page, UserFactory(), javascript=javascript)
    page.goto("/wallet")
    assert "no payment provider set up" in page.inner_text("#add-credit-off")
    assert "Linking a Stripe account is not available" in page.inner_text("#stripe-link-off")
    assert page.locator("text=Add credit").count() == 0
    assert page.locator("text=Link a Stripe account for payouts").count() == 0
    # An old bookmark of the top-up page: it says why, and leads back.
    response = page.goto("/wallet/topup")
    assert response.status == 200 and "Adding credit is not available yet." in page.inner_text("#topup")
    page.click("text=Back to your wallet")
    page.wait_for_url("**/wallet")
    assert page.locator("h1").inner_text() == "Wallet"


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_the_wallet_names_titles_and_people_and_fits_a_phone(app, live_server, new_browser_page, javascript):
    me = UserFactory(display_name="Mia Maker")
    seller, buyer = UserFactory(display_name="Sol Seller"), UserFactory(display_name="Bo Buyer")
    fund(me, credit=5000)
    fund(buyer, credit=5000)
    bought = make_item(seller, price_cents=1250, title="A long title for a collection of harbour sketches")
    sold = make_item(me, price_cents=300, title="Zine number one")
    purchases.purchase_item(me.id, bought.id)
    purchases.purchase_item(buyer.id, sold.id)
    page = signed_in(app, live_server, new_browser_page, me, javascript=javascript, phone=True)
    page.goto("/wallet")
    assert "A long title for a collection of harbour sketches" in page.inner_text("#purchases")
    assert "Sol Seller" in page.inner_text("#purchases")
    assert "Bo Buyer" in page.inner_text("#sales")
    history = page.inner_text("#history")
    assert "Sold “Zine number one” to Bo Buyer" in history and "item #" not in history
    assert page.locator("#history .table-scroll table.data-table").count() == 1
    assert page_width(page) <= PHONE["width"]  # the tables scroll inside themselves
    page.click("#history >> text=Sold “Zine number one” to Bo Buyer")
    page.wait_for_url(f"**/items/{sold.id}")
