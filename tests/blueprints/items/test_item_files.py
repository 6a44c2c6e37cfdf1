"""Signed file URLs: issued after the access check, bound to the user and the key,
short-lived, served with a safe Content-Disposition."""

import time

import pytest

from app.extensions import db
from tests.conftest import bearer, sign_in
from tests.factories import EntitlementFactory, UserFactory
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


def test_the_url_is_bound_to_its_user(app, client, paid_download):
    buyer, other = UserFactory(), UserFactory()
    EntitlementFactory(user_id=buyer.id, item_id=paid_download.id)
    url = file_url(app, client, paid_download, buyer)
    assert client.get(url).status_code == 404  # anonymous
    sign_in(client, other)
    assert client.get(url).status_code == 404


def test_guessed_and_tampered_urls_are_404(app, client, paid_download):
    buyer = UserFactory()
    EntitlementFactory(user_id=buyer.id, item_id=paid_download.id)
    url = file_url(app, client, paid_download, buyer)
    sign_in(client, buyer)
    assert client.get("/items/files/guess").status_code == 404
    assert client.get(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")).status_code == 404
    assert client.get("/media/items/downloads/whatever.zip").status_code == 404


def test_an_expired_url_is_403(app, client, paid_download, monkeypatch):
    buyer = UserFactory()
    EntitlementFactory(user_id=buyer.id, item_id=paid_download.id)
    url = file_url(app, client, paid_download, buyer)
    sign_in(client, buyer)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + app.config["SIGNED_URL_TTL_SECONDS"] + 5)
    response = client.get(url)
    assert response.status_code == 403


def test_others_get_no_url_at_all(app, client, paid_download):
    reply = client.get(f"/api/items/{paid_download.id}", headers=bearer(app, UserFactory())).get_json()
    assert reply["content"] is None and "url" not in str(reply["preview"])
