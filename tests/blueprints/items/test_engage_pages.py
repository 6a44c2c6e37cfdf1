import sqlalchemy as sa

from app.extensions import db
from app.models.items import Collection, CollectionItem, CreatorPlan, Favorite, Review
from tests.conftest import csrf_token, sign_in
from tests.factories import EntitlementFactory, UserFactory
from tests.items_helpers import committed_item


def make(app, creator, **kw):
    return committed_item(app, creator, **kw)


def test_favorite_without_and_with_htmx(app, auth_client, htmx):
    item = make(app, UserFactory())
    token = csrf_token(auth_client, f"/items/{item.id}")
    response = auth_client.post(f"/items/{item.id}/favorite", data={"favorite": "1", "csrf_token": token})
    assert response.status_code == 303
    assert db.session.get(Favorite, (auth_client.user.id, item.id)) is not None
    fragment = auth_client.post(f"/items/{item.id}/favorite", data={"favorite": "0"},
                                headers={**htmx, "X-CSRFToken": token})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and body.lstrip().startswith(f'<form id="favorite-{item.id}"')
    assert "☆ Favorite" in body
    assert db.session.get(Favorite, (auth_client.user.id, item.id)) is None


def test_review_form_without_and_with_htmx(app, auth_client, htmx):
    item = make(app, UserFactory())
    page = auth_client.get(f"/items/{item.id}").get_data(as_text=True)
    assert 'id="review-form"' in page
    token = csrf_token(auth_client, f"/items/{item.id}")
    response = auth_client.post(f"/items/{item.id}/reviews", data={"rating": "5", "body": "Great",
                                                                   "csrf_token": token})
    assert response.status_code == 303
    second = auth_client.post(f"/items/{item.id}/reviews", data={"rating": "1"},
                              headers={**htmx, "X-CSRFToken": token})
    assert second.status_code == 409 and "already reviewed" in second.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 1
    page = auth_client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "You rated this 5/5" in page and "Great" in page


def test_review_without_entitlement_is_refused(app, auth_client):
    item = make(app, UserFactory(), pricing="one_time", price_cents=100)
    token = csrf_token(auth_client, f"/items/{item.id}")
    response = auth_client.post(f"/items/{item.id}/reviews", data={"rating": "5", "csrf_token": token})
    assert response.status_code == 403 and "Only those who bought" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0
    EntitlementFactory(user_id=auth_client.user.id, item_id=item.id)
    assert 'id="review-form"' in auth_client.get(f"/items/{item.id}").get_data(as_text=True)


def test_plan_settings(app, auth_client, htmx):
    token = csrf_token(auth_client, "/settings/shop")
    response = auth_client.post("/settings/shop", data={"price": "4.50", "csrf_token": token})
    assert response.status_code == 303
    assert db.session.get(CreatorPlan, auth_client.user.id).monthly_price_cents == 450
    bad = auth_client.post("/settings/shop", data={"price": "-3"}, headers={**htmx, "X-CSRFToken": token})
    assert bad.status_code == 422 and bad.get_data(as_text=True).lstrip().startswith('<form id="plan-form"')
    db.session.expire_all()
    assert db.session.get(CreatorPlan, auth_client.user.id).monthly_price_cents == 450
    off = auth_client.post("/settings/shop", data={"price": ""}, headers={**htmx, "X-CSRFToken": token})
    assert off.status_code == 204
    db.session.expire_all()
    assert db.session.get(CreatorPlan, auth_client.user.id).active is False


def test_collections_public_and_private(app, auth_client, client, htmx):
    item = make(app, UserFactory(), title="Kept thing")
    token = csrf_token(auth_client, "/collections")
    response = auth_client.post("/collections", data={"name": "Faves", "is_public": "y", "csrf_token": token})
    assert response.status_code == 303
    public = db.session.scalar(sa.select(Collection).where(Collection.name == "Faves"))
    auth_client.post("/collections", data={"name": "Secret", "csrf_token": token})
    private = db.session.scalar(sa.select(Collection).where(Collection.name == "Secret"))
    dup = auth_client.post("/collections", data={"name": "Faves"}, headers={**htmx, "X-CSRFToken": token})
    assert dup.status_code == 422 and "Already used" in dup.get_data(as_text=True)
    for c in (public, private):
        auth_client.post(f"/collections/{c.id}/items", data={"item_id": item.id, "csrf_token": token})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CollectionItem)) == 2
    assert "Kept thing" in client.get(f"/collections/{public.id}").get_data(as_text=True)
    assert client.get(f"/collections/{private.id}").status_code == 404
    assert "Kept thing" in auth_client.get(f"/collections/{private.id}").get_data(as_text=True)
    stranger = app.test_client()
    sign_in(stranger, UserFactory())
    stoken = csrf_token(stranger, "/collections")
    response = stranger.post(f"/collections/{public.id}/items", data={"item_id": item.id, "remove": "1",
                                                                      "csrf_token": stoken})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CollectionItem)) == 2


def test_add_to_collection_from_the_item_page_and_favorites_page(app, auth_client, htmx):
    item = make(app, UserFactory(), title="Lovely print")
    token = csrf_token(auth_client, "/collections")
    auth_client.post("/collections", data={"name": "Prints", "csrf_token": token})
    page = auth_client.get(f"/items/{item.id}").get_data(as_text=True)
    assert 'name="collection_id"' in page and "Prints" in page
    collection = db.session.scalar(sa.select(Collection))
    response = auth_client.post("/collections/items", data={"collection_id": collection.id, "item_id": item.id,
                                                            "csrf_token": token})
    assert response.status_code == 303
    assert db.session.get(CollectionItem, (collection.id, item.id)) is not None
    auth_client.post(f"/items/{item.id}/favorite", data={"favorite": "1", "csrf_token": token})
    assert "Lovely print" in auth_client.get("/favorites").get_data(as_text=True)
    fragment = auth_client.get("/favorites", headers=htmx).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="collection-items"')


def test_collection_page_fragment_with_htmx(app, client, htmx):
    owner = UserFactory()
    collection = Collection(owner_id=owner.id, name="Shelf", is_public=True)
    db.session.add(collection)
    db.session.commit()
    full = client.get(f"/collections/{collection.id}").get_data(as_text=True)
    assert "<html" in full and "Shelf" in full
    fragment = client.get(f"/collections/{collection.id}", headers=htmx).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="collection-items"')
