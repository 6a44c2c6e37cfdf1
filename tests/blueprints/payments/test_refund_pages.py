"""Issue 21, point 5, through the pages: the refund button only where the policy allows it,
the policy said where the button is, requests and answers by form (without JS and with
HTMX), and opening the paid part (a writing's reading page, the API, a paid comic page)
closing the buyer's own refund."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.ledger import Purchase, RefundRequest
from app.services.payments import purchases
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session
from tests.conftest import HTMX, bearer, csrf_token, sign_in
from tests.factories import UserFactory, fund
from tests.items_helpers import committed_item


@pytest.fixture
def bought(app):
    """A creator's $4.00 writing, bought by a buyer; both signed in on their own clients."""
    buyer, creator = UserFactory(display_name="Bree"), UserFactory(display_name="Cole")
    item = committed_item(app, creator, kind="writing", pricing="one_time", price_cents=400,
                          title="Salt and stars")
    fund(buyer, credit=1000)
    purchase = purchases.purchase_item(buyer.id, item.id).purchase
    clients = {}
    for who in (buyer, creator):
        clients[who.id] = app.test_client()
        sign_in(clients[who.id], who)
    return buyer, creator, item, purchase, clients[buyer.id], clients[creator.id]


def opened_at(purchase_id):
    with read_session() as session:
        return session.get(Purchase, purchase_id).opened_at


def test_a_fresh_purchase_offers_the_buyers_own_refund_with_the_policy(bought):
    buyer, _, item, purchase, client, _ = bought
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert 'id="refund-note"' in page and f'href="/purchases/{purchase.id}/refund">Refund it</a>' in page
    refund = client.get(f"/purchases/{purchase.id}/refund").get_data(as_text=True)
    assert "Refund $4.00 now" in refund and 'id="refund-policy"' in refund and "How refunds work" in refund
    assert "refund-request-form" not in refund
    token = csrf_token(client, f"/purchases/{purchase.id}/refund")
    done = client.post(f"/purchases/{purchase.id}/refund", data={"csrf_token": token})
    assert done.status_code == 303 and get_balance(buyer.id)["credit_cents"] == 1000
    assert 'id="refund-note"' not in client.get(f"/items/{item.id}").get_data(as_text=True)


def test_reading_the_paid_part_turns_the_button_into_a_request_and_the_creator_answers(bought):
    buyer, creator, item, purchase, client, creator_client = bought
    assert client.get(f"/items/{item.id}").status_code == 200 and opened_at(purchase.id) is None  # the free part
    assert "The <strong>secret</strong> ending." in client.get(f"/items/{item.id}/read").get_data(as_text=True)
    assert opened_at(purchase.id) is not None
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "Ask the creator for a refund</a>" in page and "Refund it</a>" not in page
    refund = client.get(f"/purchases/{purchase.id}/refund").get_data(as_text=True)
    assert 'id="refund-request-form"' in refund and f'action="/purchases/{purchase.id}/refund"' not in refund
    token = csrf_token(client, f"/purchases/{purchase.id}/refund")
    # The buyer's own refund is refused by the server too, whatever the page showed.
    refused = client.post(f"/purchases/{purchase.id}/refund", data={"csrf_token": token})
    assert refused.status_code == 303 and get_balance(buyer.id)["credit_cents"] == 600
    too_long = client.post(f"/purchases/{purchase.id}/refund-request", data={"csrf_token": token, "reason": "x" * 1001})
    assert too_long.status_code == 422 and 'id="reason-error"' in too_long.get_data(as_text=True)
    asked = client.post(f"/purchases/{purchase.id}/refund-request", data={"reason": "Not for me"},
                        headers={**HTMX, "X-CSRFToken": token})
    assert asked.status_code == 204 and asked.headers["HX-Redirect"] == f"/purchases/{purchase.id}/refund"
    assert "The creator has not answered yet" in client.get(f"/purchases/{purchase.id}/refund").get_data(as_text=True)

    wallet = creator_client.get("/wallet").get_data(as_text=True)
    assert 'id="refund-requests"' in wallet and "Not for me" in wallet and "Salt and stars" in wallet
    answer = creator_client.get(f"/purchases/{purchase.id}/refund").get_data(as_text=True)
    assert "Bree asks for a refund" in answer and "Accept: refund $4.00" in answer
    ctoken = csrf_token(creator_client, "/wallet")
    accepted = creator_client.post(f"/purchases/{purchase.id}/refund-request/accept", data={"csrf_token": ctoken})
    assert accepted.status_code == 303 and get_balance(buyer.id)["credit_cents"] == 1000
    again = creator_client.post(f"/purchases/{purchase.id}/refund-request/accept", data={"csrf_token": ctoken})
    assert again.status_code == 303 and get_balance(buyer.id)["credit_cents"] == 1000
    assert "Refunded on" in client.get(f"/purchases/{purchase.id}/refund").get_data(as_text=True)


def test_a_declined_request_is_shown_to_the_buyer_with_the_answer(bought):
    buyer, creator, item, purchase, client, creator_client = bought
    db.session.get(Purchase, purchase.id).created_at -= timedelta(hours=50)
    db.session.commit()
    token = csrf_token(client, f"/purchases/{purchase.id}/refund")
    client.post(f"/purchases/{purchase.id}/refund-request", data={"csrf_token": token, "reason": ""})
    ctoken = csrf_token(creator_client, "/wallet")
    declined = creator_client.post(f"/purchases/{purchase.id}/refund-request/decline",
                                   data={"answer": "Sorry, no."}, headers={**HTMX, "X-CSRFToken": ctoken})
    assert declined.status_code == 204
    page = client.get(f"/purchases/{purchase.id}/refund").get_data(as_text=True)
    assert "The creator declined your refund request" in page and "Sorry, no." in page
    assert get_balance(buyer.id)["credit_cents"] == 600
    wallet = client.get("/wallet").get_data(as_text=True)
    assert f'href="/purchases/{purchase.id}/refund">Declined</a>' in wallet


def test_strangers_see_no_refund_page_and_decide_nothing(bought):
    buyer, _, _, purchase, client, _ = bought
    stranger = UserFactory()
    other = client.application.test_client()
    sign_in(other, stranger)
    assert other.get(f"/purchases/{purchase.id}/refund").status_code == 404
    token = csrf_token(other, "/wallet")
    for path in ("refund-request", "refund-request/accept", "refund-request/decline", "refund"):
        assert other.post(f"/purchases/{purchase.id}/{path}", data={"csrf_token": token}).status_code == 404
    with read_session() as session:
        assert session.get(Purchase, purchase.id).status == "paid"
        assert session.scalar(sa.select(sa.func.count(RefundRequest.id))) == 0
    assert get_balance(buyer.id)["credit_cents"] == 600


def test_the_api_and_a_paid_comic_page_open_the_paid_part_but_a_free_page_does_not(app, client, bought):
    buyer, creator, item, purchase, _, _ = bought
    assert client.get(f"/api/items/{item.id}", headers=bearer(app, buyer)).get_json()["content"]["body_html"]
    assert opened_at(purchase.id) is not None

    comic = committed_item(app, creator, kind="comic", pricing="one_time", price_cents=200, free_pages=1)
    bought_comic = purchases.purchase_item(buyer.id, comic.id).purchase
    pages = client.get(f"/api/items/{comic.id}", headers=bearer(app, buyer)).get_json()["content"]["chapters"][0]
    assert opened_at(bought_comic.id) is None  # a comic's pages are fetched one by one
    sign_in(client, buyer)
    with client.get(pages["pages"][0]["url"]) as free_page:
        assert free_page.status_code == 200
    assert opened_at(bought_comic.id) is None
    with client.get(pages["pages"][1]["url"]) as paid_page:
        assert paid_page.status_code == 200
    assert opened_at(bought_comic.id) is not None
