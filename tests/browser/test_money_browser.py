"""Issue 21, the money points in real Chromium, JavaScript on and off: the wallet without
Stripe says so where its buttons would be and never ends in a dead end (point 10); it lists
purchases, sales and transactions by title and name in tables that scroll inside themselves
on a phone (point 11); refunds follow the policy, from the buyer's click to the creator's
answer (point 5)."""

from __future__ import annotations

import pytest

from app.services.payments import purchases
from app.services.payments.balances import get_balance
from tests.browser.signed_in import PHONE, page_width, signed_in
from tests.factories import UserFactory, fund, make_item
from tests.items_helpers import committed_item

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


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_buy_read_ask_for_a_refund_and_the_creator_accepts(app, live_server, new_browser_page, javascript):
    """Point 5: the buyer's own refund is offered until the paid part is read; then the
    buyer asks, and the creator accepts from the wallet; the money comes back once."""
    buyer, creator = UserFactory(display_name="Rae Reader"), UserFactory(display_name="Wes Writer")
    fund(buyer, credit=2000)
    item = committed_item(app, creator, kind="writing", pricing="one_time", price_cents=500, title="Harbor lights")
    page = signed_in(app, live_server, new_browser_page, buyer, javascript=javascript)
    page.goto(f"/items/{item.id}")
    page.click("text=Buy for $5.00")
    page.locator("#refund-note").wait_for()
    assert "Refund it" in page.inner_text("#refund-note")
    page.click("#refund-note >> text=Refund it")
    page.wait_for_url("**/purchases/*/refund")
    assert page.locator("text=Refund $5.00 now").is_visible()
    page.click("text=How refunds work")
    assert "ask the creator for a refund within 30 days" in page.inner_text("#refund-policy")

    page.goto(f"/items/{item.id}")
    page.click("text=Continue reading")
    page.wait_for_url(f"**/items/{item.id}/read")
    assert "The secret ending." in page.inner_text(".prose")
    page.goto(f"/items/{item.id}")
    note = page.inner_text("#refund-note")
    assert "Ask the creator for a refund" in note and "Refund it" not in note
    page.click("#refund-note >> text=Ask the creator for a refund")
    page.wait_for_url("**/purchases/*/refund")
    assert page.locator("text=Refund $5.00 now").count() == 0
    page.fill("textarea[name='reason']", "I bought the wrong piece.")
    page.click("#refund-request-form button[type='submit']")
    page.locator("text=The creator has not answered yet").wait_for()

    other = signed_in(app, live_server, new_browser_page, creator, javascript=javascript)
    other.goto("/wallet")
    assert "I bought the wrong piece." in other.inner_text("#refund-requests")
    other.click("#refund-requests >> text=Answer…")
    other.wait_for_url("**/purchases/*/refund")
    other.click("text=Accept: refund $5.00")
    other.locator("text=Refunded on").wait_for()
    assert get_balance(buyer.id)["credit_cents"] == 2000
    page.goto(f"/items/{item.id}")
    assert page.locator("#refund-note").count() == 0 and page.locator("text=Buy for $5.00").is_visible()
