import io

import pytest
import sqlalchemy as sa

from app.documents.items import ItemContent
from app.extensions import db
from app.models.items import Item, Review
from tests.conftest import bearer
from tests.factories import EntitlementFactory, SubscriptionFactory, UserFactory, make_image, make_plan
from tests.items_helpers import committed_item

ITEM_KEYS = {"id", "kind", "title", "description", "creator", "pricing", "price_cents", "cover_url",
             "created_at", "rating_avg", "review_count", "owned"}


@pytest.fixture
def make(app):
    return lambda creator, **kw: committed_item(app, creator, **kw)


def test_create_writing_by_json(app, client):
    user = UserFactory()
    response = client.post("/api/items/create", headers=bearer(app, user), json={
        "kind": "writing", "title": "Essay", "description": "On tea", "pricing": "one_time", "price_cents": 199,
        "tags": ["tea"], "body_html": "<p>Intro</p><p>---paywall---</p><p>Rest <img src=x onerror=alert(1)></p>"})
    assert response.status_code == 201, response.get_json()
    item = response.get_json()["item"]
    assert ITEM_KEYS <= set(item) and item["owned"] is False and item["price_cents"] == 199
    assert item["creator"]["username"] == user.username
    doc = ItemContent.objects.get(item_id=item["id"])
    assert "onerror" not in doc.body_html and "<img" not in doc.body_html and doc.preview_html == "<p>Intro</p>"


def test_create_comic_multipart_and_page_order(app, client):
    user = UserFactory()
    pages = [(io.BytesIO(make_image()), f"{n}.png") for n in range(3)]
    response = client.post("/api/items/create", headers=bearer(app, user), content_type="multipart/form-data",
                           data={"kind": "comic", "title": "Strip", "pricing": "free", "pages": pages,
                                 "page_numbers": ["1", "2", "3"], "alts": ["a", "b", "c"]})
    assert response.status_code == 201, response.get_json()
    pages = [(io.BytesIO(make_image()), f"{n}.png") for n in range(3)]
    bad = client.post("/api/items/create", headers=bearer(app, user), content_type="multipart/form-data",
                      data={"kind": "comic", "title": "Strip 2", "pricing": "free", "pages": pages,
                            "page_numbers": ["1", "2", "4"]})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "page_out_of_order" and "pages" in bad.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"price_cents": -1}, "price_cents"), ({"price_cents": 0}, "price_cents"),
    ({"price_cents": 10_000_000_000}, "price_cents"), ({"kind": "statue"}, "kind"),
    ({"price_cents": 1.5}, "price_cents"),
])
def test_bad_input_is_400_and_writes_nothing(app, client, body, field):
    user = UserFactory()
    data = {"kind": "writing", "title": "T", "pricing": "one_time", "price_cents": 100, "body_html": "<p>x</p>",
            **body}
    response = client.post("/api/items/create", headers=bearer(app, user), json=data)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0
    assert ItemContent.objects.count() == 0


def test_a_file_over_the_limit_is_413(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_DOWNLOAD_BYTES", 2048)
    user = UserFactory()
    response = client.post("/api/items/create", headers=bearer(app, user), content_type="multipart/form-data",
                           data={"kind": "download", "title": "Big", "pricing": "free",
                                 "files": [(io.BytesIO(b"x" * 2049), "big.bin")]})
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "file_too_large"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0
    import os

    media = app.config["MEDIA_ROOT"]
    assert not any(files for _, _, files in os.walk(media))


def test_not_an_image_is_400(app, client):
    user = UserFactory()
    response = client.post("/api/items/create", headers=bearer(app, user), content_type="multipart/form-data",
                           data={"kind": "art", "title": "Art", "pricing": "free",
                                 "files": [(io.BytesIO(b"GIF89a not really"), "x.gif")]})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_image"


def test_get_item_locked_for_others_open_for_buyer(app, client, make):
    creator, buyer, other = UserFactory(), UserFactory(), UserFactory()
    item = make(creator, kind="download", pricing="one_time", price_cents=300)
    anon = client.get(f"/api/items/{item.id}").get_json()
    assert anon["locked"] is True and anon["content"] is None
    assert anon["preview"]["files"][0]["name"] == "pack.zip" and "url" not in anon["preview"]["files"][0]
    assert client.get(f"/api/items/{item.id}", headers=bearer(app, other)).get_json()["locked"] is True
    EntitlementFactory(user_id=buyer.id, item_id=item.id, source="purchase")
    mine = client.get(f"/api/items/{item.id}", headers=bearer(app, buyer)).get_json()
    assert mine["locked"] is False and mine["item"]["owned"] is True
    assert mine["content"]["files"][0]["url"].startswith("/items/files/")


def test_subscription_item_opens_to_subscribers(app, client, make):
    creator, fan = UserFactory(), UserFactory()
    make_plan(creator)
    item = make(creator, kind="writing", pricing="subscription")
    assert client.get(f"/api/items/{item.id}", headers=bearer(app, fan)).get_json()["locked"] is True
    SubscriptionFactory(subscriber_id=fan.id, creator_id=creator.id)
    reply = client.get(f"/api/items/{item.id}", headers=bearer(app, fan)).get_json()
    assert reply["locked"] is False and reply["item"]["owned"] is False


def test_put_and_delete_are_owner_only(app, client, make):
    creator, other = UserFactory(), UserFactory()
    item = make(creator)
    changed = client.put(f"/api/items/{item.id}", headers=bearer(app, other), json={"title": "X"})
    assert changed.status_code == 403
    deleted = client.delete(f"/api/items/{item.id}", headers=bearer(app, other))
    assert deleted.status_code == 403
    assert changed.get_json()["error"]["code"] == deleted.get_json()["error"]["code"] == "not_item_owner"
    db.session.expire_all()
    assert db.session.get(Item, item.id).title == "A writing" and not db.session.get(Item, item.id).is_deleted
    ok = client.put(f"/api/items/{item.id}", headers=bearer(app, creator), json={"title": "New", "price_cents": 5})
    assert ok.status_code == 200 and ok.get_json()["item"]["title"] == "New"
    assert ok.get_json()["item"]["price_cents"] == 0  # a free item carries no price
    bad = client.put(f"/api/items/{item.id}", headers=bearer(app, creator), json={"pricing": "one_time"})
    assert bad.status_code == 400  # one_time needs a price
    assert list(bad.get_json()["error"]["fields"]) == ["price_cents"]
    db.session.expire_all()
    assert db.session.get(Item, item.id).pricing == "free"
    assert client.delete(f"/api/items/{item.id}", headers=bearer(app, creator)).status_code == 204
    gone = client.get(f"/api/items/{item.id}", headers=bearer(app, other))
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "item_not_found"


def test_deleted_item_stays_for_buyers(app, client, make):
    creator, buyer = UserFactory(), UserFactory()
    item = make(creator, pricing="one_time", price_cents=100)
    EntitlementFactory(user_id=buyer.id, item_id=item.id)
    client.delete(f"/api/items/{item.id}", headers=bearer(app, creator))
    reply = client.get(f"/api/items/{item.id}", headers=bearer(app, buyer))
    assert reply.status_code == 200 and reply.get_json()["locked"] is False
    assert client.get("/api/items").get_json()["items"] == []


def test_list_search_and_paging(app, client, make):
    creator = UserFactory()
    made = [make(creator, title=f"Song {n}", kind="download") for n in range(3)]
    make(creator, title="Painting", kind="art")
    page = client.get("/api/items?kind=download&limit=2").get_json()
    assert [i["id"] for i in page["items"]] == [made[2].id, made[1].id] and page["next_cursor"]
    rest = client.get(f"/api/items?kind=download&limit=2&cursor={page['next_cursor']}").get_json()
    assert [i["id"] for i in rest["items"]] == [made[0].id] and rest["next_cursor"] is None
    assert [i["title"] for i in client.get("/api/items?q=paint").get_json()["items"]] == ["Painting"]
    assert len(client.get(f"/api/items?creator={creator.username}").get_json()["items"]) == 4
    for query, field in (("limit=101", "limit"), ("sort=old", "sort"), ("cursor=xyz", "cursor")):
        response = client.get(f"/api/items?{query}")
        assert response.status_code == 400 and list(response.get_json()["error"]["fields"]) == [field], query


def test_reviews_rules(app, client, make):
    creator, buyer, other = UserFactory(), UserFactory(), UserFactory()
    paid = make(creator, pricing="one_time", price_cents=100)
    free = make(creator, pricing="free")
    denied = client.post(f"/api/items/{paid.id}/reviews", headers=bearer(app, other), json={"rating": 5})
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "review_not_allowed"
    EntitlementFactory(user_id=buyer.id, item_id=paid.id)
    ok = client.post(f"/api/items/{paid.id}/reviews", headers=bearer(app, buyer), json={"rating": 4, "body": "Nice"})
    assert ok.status_code == 201 and ok.get_json()["rating_avg"] == 4 and ok.get_json()["review_count"] == 1
    again = client.post(f"/api/items/{paid.id}/reviews", headers=bearer(app, buyer), json={"rating": 1})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_reviewed"
    for bad in (0, 6, "x", None, 2.5):
        r = client.post(f"/api/items/{free.id}/reviews", headers=bearer(app, other), json={"rating": bad})
        assert r.status_code == 400, bad
    assert client.post(f"/api/items/{free.id}/reviews", headers=bearer(app, other), json={"rating": 2}).status_code == 201
    assert client.post(f"/api/items/{free.id}/reviews", json={"rating": 2}).status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 2
    item = client.get(f"/api/items/{paid.id}").get_json()["item"]
    assert item["rating_avg"] == 4 and item["review_count"] == 1
    listed = client.get(f"/api/items/{paid.id}/reviews").get_json()
    assert [r["body"] for r in listed["reviews"]] == ["Nice"]


def test_favorites(app, client, make):
    user = UserFactory()
    item = make(UserFactory())
    for _ in range(2):
        reply = client.post(f"/api/items/{item.id}/favorite", headers=bearer(app, user))
        assert reply.get_json() == {"favorited": True, "favorite_count": 1}
    mine = client.get("/api/favorites", headers=bearer(app, user)).get_json()
    assert [i["id"] for i in mine["items"]] == [item.id]
    reply = client.delete(f"/api/items/{item.id}/favorite", headers=bearer(app, user))
    assert reply.get_json() == {"favorited": False, "favorite_count": 0}
    anonymous = client.post(f"/api/items/{item.id}/favorite")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"
    assert client.get(f"/api/items/{item.id}").get_json()["item"]["favorite_count"] == 0


def test_openapi_documents_every_items_route(app, client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/items/create", "/api/items/{item_id}", "/api/items", "/api/items/{item_id}/reviews",
                 "/api/items/{item_id}/favorite", "/api/favorites"):
        assert path in spec["paths"], path
    assert set(spec["components"]["schemas"]["Item"]["required"]) == ITEM_KEYS


def test_put_multipart_adds_download_files(app, client, make):
    creator = UserFactory()
    item = make(creator, kind="download")
    response = client.put(f"/api/items/{item.id}", headers=bearer(app, creator), content_type="multipart/form-data",
                          data={"title": "Two files", "files": [(io.BytesIO(b"second file"), "extra.txt")]})
    assert response.status_code == 200, response.get_json()
    reply = client.get(f"/api/items/{item.id}", headers=bearer(app, creator)).get_json()
    assert [f["name"] for f in reply["content"]["files"]] == ["pack.zip", "extra.txt"]
    assert reply["item"]["title"] == "Two files"
    unknown = client.put(f"/api/items/{item.id}", headers=bearer(app, creator), json={"kind": "art"})
    assert unknown.status_code == 200 and unknown.get_json()["item"]["kind"] == "download"  # kind is fixed


def test_subscribers_only_needs_the_creators_plan_first(app, client):
    """Issue 21, point 6: without a plan nobody could ever get the item, so it is refused."""
    creator = UserFactory()
    fields = {"kind": "writing", "title": "Members' letter", "pricing": "subscription", "body_html": "<p>Hi</p>"}
    refused = client.post("/api/items/create", headers=bearer(app, creator), json=fields)
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "no_subscription_plan" and "/settings/shop" in error["message"]
    assert "pricing" in error["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0 and ItemContent.objects.count() == 0
    free = client.post("/api/items/create", headers=bearer(app, creator), json={**fields, "pricing": "free"})
    item_id = free.get_json()["item"]["id"]
    moved = client.put(f"/api/items/{item_id}", headers=bearer(app, creator), json={"pricing": "subscription"})
    assert moved.status_code == 400 and moved.get_json()["error"]["code"] == "no_subscription_plan"
    make_plan(creator, 400)
    made = client.post("/api/items/create", headers=bearer(app, creator), json=fields)
    assert made.status_code == 201 and made.get_json()["item"]["pricing"] == "subscription"
    moved = client.put(f"/api/items/{item_id}", headers=bearer(app, creator), json={"pricing": "subscription"})
    assert moved.status_code == 200 and moved.get_json()["item"]["pricing"] == "subscription"


def test_the_plan_path_refusals_name_is_the_plan_page(app):
    from flask import url_for

    from app.services.items.plans import PLAN_PATH

    with app.test_request_context():
        assert url_for("items.plan_settings") == PLAN_PATH
