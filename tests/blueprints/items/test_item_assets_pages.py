"""The edit page's list of images, files, comic pages and chapters: remove, reorder and
relabel them, without JavaScript and with HTMX; only the creator; nothing left empty."""

import os

import pytest

from app.documents.items import ItemContent
from app.extensions import db
from app.models import AuditEvent
from tests.conftest import HTMX, bearer, csrf_token, sign_in
from tests.factories import EntitlementFactory, UserFactory
from tests.items_helpers import committed_item, png, request_context, upload


def make(app, creator, **kw):
    return committed_item(app, creator, **kw)


def content(item) -> ItemContent:
    return ItemContent.objects.get(item_id=item.id)


def stored(app, key) -> bool:
    return os.path.isfile(os.path.join(app.config["MEDIA_ROOT"], key))


@pytest.fixture
def art(app, user):
    return make(app, user, kind="art", files=[png((10, 10, 10)), png((20, 20, 20)), png((30, 30, 30))],
                alts=["one", "two", "three"])


def test_the_edit_page_lists_each_image_with_its_forms(auth_client, art):
    page = auth_client.get(f"/items/{art.id}/edit").get_data(as_text=True)
    doc = content(art)
    assert 'id="item-assets"' in page
    for image in doc.images:
        assert f"/items/{art.id}/assets/{image.uid}/remove" in page
        assert f"/items/{art.id}/assets/{image.uid}/alt" in page
    assert page.count("Move up") == 2 and page.count("Move down") == 2  # not on the first, not on the last
    assert 'hx-target="#item-assets"' in page and 'name="csrf_token"' in page


def test_remove_without_js(app, auth_client, art):
    token = csrf_token(auth_client, f"/items/{art.id}/edit")
    gone = content(art).images[0]
    response = auth_client.post(f"/items/{art.id}/assets/{gone.uid}/remove", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/items/{art.id}/edit#item-assets"
    assert [i.alt for i in content(art).images] == ["two", "three"]
    assert not stored(app, gone.key) and not stored(app, gone.preview_key)
    assert db.session.query(AuditEvent).filter_by(action="item_asset_remove").count() == 1
    page = auth_client.get(f"/items/{art.id}/edit").get_data(as_text=True)
    assert "Removed the image." in page and gone.uid not in page


def test_remove_with_htmx_swaps_the_list(auth_client, art):
    token = csrf_token(auth_client, f"/items/{art.id}/edit")
    gone = content(art).images[1]
    response = auth_client.post(f"/items/{art.id}/assets/{gone.uid}/remove", data={"csrf_token": token},
                                headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<section id=\"item-assets\"") and "<html" not in body
    assert "Removed the image." in body and gone.uid not in body
    assert len(content(art).images) == 2


def test_move_without_and_with_htmx(auth_client, art):
    token = csrf_token(auth_client, f"/items/{art.id}/edit")
    last = content(art).images[2].uid
    response = auth_client.post(f"/items/{art.id}/assets/{last}/move", data={"csrf_token": token, "direction": "up"})
    assert response.status_code == 303
    assert [i.alt for i in content(art).images] == ["one", "three", "two"]
    response = auth_client.post(f"/items/{art.id}/assets/{last}/move", data={"csrf_token": token, "direction": "up"},
                                headers=HTMX)
    assert response.status_code == 200 and "Moved the image up." in response.get_data(as_text=True)
    assert [i.alt for i in content(art).images] == ["three", "one", "two"]
    # Already first: nothing changes, and the page says so.
    response = auth_client.post(f"/items/{art.id}/assets/{last}/move", data={"csrf_token": token, "direction": "up"},
                                headers=HTMX)
    assert response.status_code == 200 and "already first" in response.get_data(as_text=True)
    assert [i.alt for i in content(art).images] == ["three", "one", "two"]
    response = auth_client.post(f"/items/{art.id}/assets/{last}/move", data={"csrf_token": token, "direction": "x"})
    assert response.status_code == 400
    assert [i.alt for i in content(art).images] == ["three", "one", "two"]


def test_the_last_image_is_refused_with_400(app, user):
    item = make(app, user, kind="art", files=[png()])
    client = app.test_client()
    sign_in(client, user)
    token = csrf_token(client, f"/items/{item.id}/edit")
    image = content(item).images[0]
    response = client.post(f"/items/{item.id}/assets/{image.uid}/remove", data={"csrf_token": token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "keeps at least one image" in page and 'name="title"' in page and item.title in page
    response = client.post(f"/items/{item.id}/assets/{image.uid}/remove", data={"csrf_token": token}, headers=HTMX)
    assert response.status_code == 422 and "keeps at least one image" in response.get_data(as_text=True)
    assert len(content(item).images) == 1 and stored(app, image.key)


def test_a_stale_or_foreign_id_is_404_and_changes_nothing(app, auth_client, user, art):
    other_item = make(app, user, kind="art")
    foreign = content(other_item).images[0].uid
    token = csrf_token(auth_client, f"/items/{art.id}/edit")
    for action in ("remove", "move", "alt"):
        response = auth_client.post(f"/items/{art.id}/assets/{foreign}/{action}",
                                    data={"csrf_token": token, "direction": "up", "alt": "x"})
        assert response.status_code == 404, action
    assert auth_client.post(f"/items/{art.id}/assets/nonsense/remove", data={"csrf_token": token}).status_code == 404
    # A page showing an image removed meanwhile: HTMX gets the current list with the reason.
    gone = content(art).images[0].uid
    auth_client.post(f"/items/{art.id}/assets/{gone}/remove", data={"csrf_token": token})
    response = auth_client.post(f"/items/{art.id}/assets/{gone}/move", data={"csrf_token": token, "direction": "down"},
                                headers=HTMX)
    assert response.status_code == 422 and "out of date" in response.get_data(as_text=True)
    assert [i.alt for i in content(art).images] == ["two", "three"]
    assert len(content(other_item).images) == 2


def test_others_get_404_and_nothing_changes(app, art):
    image = content(art).images[0].uid
    stranger, client = UserFactory(), app.test_client()
    sign_in(client, stranger)
    token = csrf_token(client)
    for path in (f"/items/{art.id}/assets/{image}/remove", f"/items/{art.id}/assets/{image}/move",
                 f"/items/{art.id}/assets/{image}/alt"):
        assert client.post(path, data={"csrf_token": token, "direction": "up", "alt": "x"}).status_code == 404
        assert client.post(path, data={"csrf_token": token}, headers=HTMX).status_code == 404
    anonymous = app.test_client()
    response = anonymous.post(f"/items/{art.id}/assets/{image}/remove", data={"csrf_token": csrf_token(anonymous)})
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert len(content(art).images) == 3


def test_without_csrf_nothing_changes(auth_client, art):
    image = content(art).images[0].uid
    assert auth_client.post(f"/items/{art.id}/assets/{image}/remove").status_code == 400
    assert len(content(art).images) == 3


def test_alt_text_is_editable(auth_client, art):
    token = csrf_token(auth_client, f"/items/{art.id}/edit")
    image = content(art).images[0].uid
    response = auth_client.post(f"/items/{art.id}/assets/{image}/alt", data={"csrf_token": token, "alt": "A red fox"},
                                headers=HTMX)
    assert response.status_code == 200 and 'value="A red fox"' in response.get_data(as_text=True)
    assert content(art).images[0].alt == "A red fox"


def test_a_buyers_url_of_a_removed_file_stops_working(app, user):
    item = make(app, user, kind="download", pricing="one_time", price_cents=100,
                files=[upload(b"first", "a.zip"), upload(b"second", "b.zip")])
    buyer = UserFactory()
    EntitlementFactory(user_id=buyer.id, item_id=item.id)
    client = app.test_client()
    urls = [f["url"] for f in client.get(f"/api/items/{item.id}", headers=bearer(app, buyer)).get_json()["content"]["files"]]
    sign_in(client, buyer)
    with client.get(urls[0]) as response:
        assert response.status_code == 200
    owner = app.test_client()
    sign_in(owner, user)
    token = csrf_token(owner, f"/items/{item.id}/edit")
    gone = content(item).files[0]
    assert owner.post(f"/items/{item.id}/assets/{gone.uid}/remove", data={"csrf_token": token}).status_code == 303
    assert not stored(app, gone.key)
    assert client.get(urls[0]).status_code == 404
    with client.get(urls[1]) as response:
        assert response.status_code == 200 and response.data == b"second"


def test_a_url_of_a_removed_file_is_404_even_if_the_file_stayed(app, user, monkeypatch):
    item = make(app, user, kind="download", files=[upload(b"first", "a.zip"), upload(b"second", "b.zip")])
    client = app.test_client()
    sign_in(client, user)
    url = client.get(f"/api/items/{item.id}").get_json()["content"]["files"][0]["url"]
    import app.services.items.assets as assets_module

    monkeypatch.setattr(assets_module, "delete_keys", lambda keys: None)  # storage refused to delete
    token = csrf_token(client, f"/items/{item.id}/edit")
    gone = content(item).files[0]
    assert client.post(f"/items/{item.id}/assets/{gone.uid}/remove", data={"csrf_token": token}).status_code == 303
    assert stored(app, gone.key)
    with client.get(url) as response:
        assert response.status_code == 404
        assert 'id="error-404"' in response.text and "Content-Disposition" not in response.headers


def test_comic_pages_and_chapters(app, user):
    from app.services.items.catalog import ItemInput, add_comic_chapter

    item = make(app, user, kind="comic")
    gen = request_context(app)
    next(gen)
    add_comic_chapter(item, user, ItemInput(pages=[png(), png((1, 2, 3))], alts=["A", "B"], chapter_title="Two"))
    db.session.commit()
    gen.close()
    client = app.test_client()
    sign_in(client, user)
    page = client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert "Remove chapter 1" in page and "deletes its 3" in page and "This cannot be undone" in page
    doc = content(item)
    token = csrf_token(client, f"/items/{item.id}/edit")
    first = doc.chapters[0].pages[0]
    assert client.post(f"/items/{item.id}/assets/{first.uid}/remove", data={"csrf_token": token},
                       headers=HTMX).status_code == 200
    assert not stored(app, first.key)
    response = client.post(f"/items/{item.id}/assets/{doc.chapters[1].pages[1].uid}/move",
                           data={"csrf_token": token, "direction": "up"})
    assert response.status_code == 303
    doc = content(item)
    assert [p.alt for p in doc.chapters[0].pages] == ["Panel two", "Panel three"]
    assert [p.alt for p in doc.chapters[1].pages] == ["B", "A"]
    reader = client.get(f"/items/{item.id}/read?chapter=1&page=2")
    assert reader.status_code == 200 and "Panel three" in reader.get_data(as_text=True)
    assert client.get(f"/items/{item.id}/read?chapter=1&page=3").status_code == 404
    first_chapter = doc.chapters[0]
    response = client.post(f"/items/{item.id}/chapters/{first_chapter.uid}/remove", data={"csrf_token": token})
    assert response.status_code == 303
    doc = content(item)
    assert [(c.number, c.title) for c in doc.chapters] == [(1, "Two")]
    assert not any(stored(app, p.key) for p in first_chapter.pages)
    # The last chapter stays, and its last page too.
    response = client.post(f"/items/{item.id}/chapters/{doc.chapters[0].uid}/remove", data={"csrf_token": token})
    assert response.status_code == 400 and "at least one chapter" in response.get_data(as_text=True)
    stranger = app.test_client()
    sign_in(stranger, UserFactory())
    response = stranger.post(f"/items/{item.id}/chapters/{doc.chapters[0].uid}/remove",
                             data={"csrf_token": csrf_token(stranger)})
    assert response.status_code == 404
    assert len(content(item).chapters) == 1


def test_writing_items_have_no_list(auth_client, user, app):
    item = make(app, user)
    page = auth_client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert 'id="item-assets"' not in page
    token = csrf_token(auth_client, f"/items/{item.id}/edit")
    assert auth_client.post(f"/items/{item.id}/assets/{'0' * 16}/remove", data={"csrf_token": token}).status_code == 404


def test_a_second_click_on_an_old_page_moves_nothing(auth_client, art):
    token = csrf_token(auth_client, f"/items/{art.id}/edit")
    last = content(art).images[2].uid
    form = {"csrf_token": token, "direction": "up", "position": "3"}
    assert auth_client.post(f"/items/{art.id}/assets/{last}/move", data=form).status_code == 303
    response = auth_client.post(f"/items/{art.id}/assets/{last}/move", data=form)
    assert response.status_code == 409 and "nothing moved" in response.get_data(as_text=True)
    response = auth_client.post(f"/items/{art.id}/assets/{last}/move", data=form, headers=HTMX)
    assert response.status_code == 422 and "nothing moved" in response.get_data(as_text=True)
    assert [i.alt for i in content(art).images] == ["one", "three", "two"]
    page = auth_client.get(f"/items/{art.id}/edit").get_data(as_text=True)
    assert 'name="position" value="2"' in page


def test_an_item_made_before_uids_gets_them_on_the_edit_page(auth_client, art):
    ItemContent.objects(item_id=art.id).update_one(__raw__={"$unset": {
        "images.0.uid": "", "images.1.uid": "", "images.2.uid": "", "revision": ""}})
    assert all(i.uid is None for i in content(art).images)
    page = auth_client.get(f"/items/{art.id}/edit").get_data(as_text=True)
    uids = [i.uid for i in content(art).images]
    assert all(uids) and all(f"/assets/{uid}/remove" in page for uid in uids)
    token = csrf_token(auth_client, f"/items/{art.id}/edit")
    assert [i.uid for i in content(art).images] == uids  # assigned once
    assert auth_client.post(f"/items/{art.id}/assets/{uids[0]}/remove", data={"csrf_token": token}).status_code == 303
    assert [i.uid for i in content(art).images] == uids[1:]
