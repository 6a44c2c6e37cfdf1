"""Signed file URLs: issued after the access check, bound to the user and the key,
short-lived, served with a safe Content-Disposition."""

import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.ledger import Purchase
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session
from app.services.payments.purchases import purchase_item
from tests.conftest import bearer, sign_in
from tests.factories import EntitlementFactory, UserFactory, fund
from tests.items_helpers import new_item, request_context, upload


@pytest.fixture
def paid_download(app):
    gen = request_context(app)
    next(gen)
    creator = UserFactory()
    item = new_item(creator, kind="download", pricing="one_time", price_cents=100,
                    files=[upload(b"\x00secret bytes", "Ünïcode \"name\"; x.zip", "application/zip")])
    db.session.commit()
    gen.close()
    return item


def file_url(app, client, item, user) -> str:
    return client.get(f"/api/items/{item.id}", headers=bearer(app, user)).get_json()["content"]["files"][0]["url"]


def test_buyer_downloads_with_a_safe_disposition(app, client, paid_download):
    buyer = UserFactory()
    EntitlementFactory(user_id=buyer.id, item_id=paid_download.id)
    url = file_url(app, client, paid_download, buyer)
    sign_in(client, buyer)
    with client.get(url) as response:
        assert response.status_code == 200 and response.data == b"\x00secret bytes"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''%C3%9Cn%C3%AFcode%20name%3B%20x.zip" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/octet-stream"


def refused(response, status: int, message: str) -> None:
    """A refused download: the error page that says why, and none of the file."""
    with response:
        assert response.status_code == status
        assert f'id="error-{status}"' in response.text and message in response.text
        assert b"secret bytes" not in response.data and "Content-Disposition" not in response.headers


def test_the_url_is_bound_to_its_user(app, client, paid_download):
    buyer, other = UserFactory(), UserFactory()
    buy(buyer, paid_download)
    url = file_url(app, client, paid_download, buyer)
    refused(client.get(url), 404, "No such file.")  # anonymous
    sign_in(client, other)
    refused(client.get(url), 404, "No such file.")
    assert downloads(buyer) == downloads(other) == 0
    sign_in(client, buyer)
    with client.get(url) as response:
        assert response.data == b"\x00secret bytes"
    assert downloads(buyer) == 1


def test_guessed_and_tampered_urls_are_404(app, client, paid_download):
    buyer = UserFactory()
    buy(buyer, paid_download)
    url = file_url(app, client, paid_download, buyer)
    sign_in(client, buyer)
    refused(client.get("/items/files/guess"), 404, "No such file.")
    refused(client.get(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")), 404, "No such file.")
    response = client.get("/media/items/downloads/whatever.zip")
    assert response.status_code == 404 and 'id="error-404"' in response.text
    assert downloads(buyer) == 0


def test_an_expired_url_is_403(app, client, paid_download, monkeypatch):
    buyer = UserFactory()
    buy(buyer, paid_download)
    url = file_url(app, client, paid_download, buyer)
    sign_in(client, buyer)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + app.config["SIGNED_URL_TTL_SECONDS"] + 5)
    response = client.get(url)
    assert response.status_code == 403
    refused(response, 403, "This link has expired. Open the item again for a fresh one.")
    assert downloads(buyer) == 0


def test_others_get_no_url_at_all(app, client, paid_download):
    reply = client.get(f"/api/items/{paid_download.id}", headers=bearer(app, UserFactory())).get_json()
    assert reply["content"] is None and "url" not in str(reply["preview"])


def buy(user, item) -> None:
    fund(user, credit=1000)
    purchase_item(user.id, item.id)


def downloads(user) -> int:
    """The user's purchases whose paid part they opened (the end of their own refund right)."""
    with read_session() as session:
        return session.scalar(sa.select(sa.func.count(Purchase.id)).where(Purchase.buyer_id == user.id,
                                                                         Purchase.opened_at.is_not(None)))


def bought_url(app, make_client, item, user) -> tuple[object, str, int]:
    """A buyer who paid through the API: their signed-in client, file URL and purchase id."""
    fund(user, credit=1000)
    purchase = make_client().post(f"/api/items/{item.id}/purchase", json={}, headers=bearer(app, user)).get_json()
    client = make_client()
    sign_in(client, user)
    return client, file_url(app, client, item, user), purchase["purchase"]["id"]


def test_a_refund_ends_a_url_signed_before_it(app, make_client, paid_download):
    refunded, kept, creator = UserFactory(), UserFactory(), db.session.get(User, paid_download.creator_id)
    client, url, purchase_id = bought_url(app, make_client, paid_download, refunded)
    other_client, other_url, _ = bought_url(app, make_client, paid_download, kept)
    creator_client = make_client()
    sign_in(creator_client, creator)
    creator_url = file_url(app, creator_client, paid_download, creator)
    with client.get(url) as response:
        assert response.data == b"\x00secret bytes"
    reply = make_client().post(f"/api/payment/purchases/{purchase_id}/refund", headers=bearer(app, creator))
    assert reply.status_code == 200 and reply.get_json()["purchase"]["status"] == "refunded"
    balance = get_balance(refunded.id)

    with client.get(url) as response:
        assert response.status_code == 404
        assert b"secret bytes" not in response.data
        assert "Content-Disposition" not in response.headers
    assert downloads(refunded) == 1  # the refused request recorded no download
    assert get_balance(refunded.id) == balance == {"credit_cents": 1000, "earnings_cents": 0, "total_cents": 1000}
    assert client.get(f"/api/items/{paid_download.id}").get_json()["content"] is None

    with other_client.get(other_url) as response:
        assert response.status_code == 200 and response.data == b"\x00secret bytes"
    with creator_client.get(creator_url) as response:
        assert response.status_code == 200 and response.data == b"\x00secret bytes"


def test_a_comics_free_pages_stay_open_to_readers_who_did_not_buy(app, client):
    gen = request_context(app)
    next(gen)
    item = new_item(UserFactory(), kind="comic", pricing="one_time", price_cents=300)
    db.session.commit()
    gen.close()
    pages = client.get(f"/api/items/{item.id}").get_json()["preview"]["chapters"][0]["pages"]
    assert pages[0]["url"] and pages[1]["url"] is None
    with client.get(pages[0]["url"]) as response:
        assert response.status_code == 200 and response.mimetype == "image/webp"
