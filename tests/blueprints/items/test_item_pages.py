import re

import sqlalchemy as sa

from app.documents.items import ItemContent
from app.extensions import db
from app.models.items import Item
from tests.conftest import csrf_token, sign_in
from tests.factories import EntitlementFactory, UserFactory, make_image
from tests.items_helpers import committed_item


def make(app, creator, **kw):
    return committed_item(app, creator, **kw)


def count_items() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Item))


WRITING = {"kind": "writing", "title": "Night train", "description": "A short story.", "tags": "fiction, rail",
           "pricing": "one_time", "price": "3.50", "body": "Opening lines.\n\n---paywall---\n\nThe twist.",
           "body_format": "markdown", "publish": "y"}


def test_create_writing_without_js(auth_client):
    token = csrf_token(auth_client, "/items/new")
    response = auth_client.post("/items/new", data={**WRITING, "csrf_token": token})
    assert response.status_code == 303
    item = db.session.scalar(sa.select(Item))
    assert response.headers["Location"] == f"/items/{item.id}"
    assert item.price_cents == 350 and item.tags == ["fiction", "rail"] and item.is_published
    page = auth_client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "Opening lines." in page and "The twist." not in page  # the item page shows the free part
    assert "The twist." in auth_client.get(f"/items/{item.id}/read").get_data(as_text=True)


def test_create_with_htmx_redirects_by_header(auth_client, htmx):
    token = csrf_token(auth_client, "/items/new")
    response = auth_client.post("/items/new", data=WRITING, headers={**htmx, "X-CSRFToken": token})
    assert response.status_code == 204
    assert re.fullmatch(r"/items/\d+", response.headers["HX-Redirect"])


def test_bad_price_renders_the_form_fragment_with_422(auth_client, htmx):
    token = csrf_token(auth_client, "/items/new")
    for price, why in (("-1", "negative"), ("0", "above $0.00"), ("100000000", "At most"), ("abc", "whole")):
        response = auth_client.post("/items/new", data={**WRITING, "price": price},
                                    headers={**htmx, "X-CSRFToken": token})
        assert response.status_code == 422, price
        body = response.get_data(as_text=True)
        assert body.lstrip().startswith('<form id="item-form"') and why in body, price
    full = auth_client.post("/items/new", data={**WRITING, "price": "-1", "csrf_token": token})
    assert full.status_code == 422 and "<html" in full.get_data(as_text=True)
    assert count_items() == 0 and ItemContent.objects.count() == 0


def test_unknown_kind_is_refused(auth_client):
    token = csrf_token(auth_client, "/items/new")
    response = auth_client.post("/items/new", data={**WRITING, "kind": "sculpture", "csrf_token": token})
    assert response.status_code == 422 and "Choose download" in response.get_data(as_text=True)
    assert 'id="kind-step"' in response.get_data(as_text=True)  # back to choosing a kind
    assert count_items() == 0


def test_the_new_item_form_asks_only_for_the_chosen_kind(auth_client):
    """Issue 21, point 13: a kind step first, then only that kind's fields (without JS too)."""
    step = auth_client.get("/items/new").get_data(as_text=True)
    assert 'id="kind-step"' in step and 'id="item-form"' not in step
    for kind in ("writing", "art", "comic", "download"):
        assert f'href="/items/new?kind={kind}"' in step
    fields = {"writing": 'name="body"', "art": 'name="file_alts"', "comic": 'name="pages"',
              "download": 'name="files"'}
    for kind, own in fields.items():
        form = auth_client.get(f"/items/new?kind={kind}").get_data(as_text=True)
        assert own in form and f'<input type="hidden" name="kind" value="{kind}">' in form
        others = [f for k, f in fields.items() if k != kind and not (kind == "art" and k == "download")]
        assert not any(other in form for other in others), kind
    art = auth_client.get("/items/new?kind=art").get_data(as_text=True)
    assert '<label for="files">Images</label>' in art
    assert '<label for="files">Files</label>' in auth_client.get("/items/new?kind=download").get_data(as_text=True)


def test_comic_create_and_reader_without_js(app, auth_client):
    token = csrf_token(auth_client, "/items/new")
    import io

    pages = [(io.BytesIO(make_image(color=(i * 50, 0, 0))), f"p{i}.png") for i in range(3)]
    data = {"kind": "comic", "title": "Moon cat", "pricing": "one_time", "price": "2", "free_pages": "1",
            "page_alts": "Cat\nMoon\nCat on moon", "transcripts": "Meow\n---\nHello\n---\nBye",
            "pages": pages, "publish": "y", "csrf_token": token}
    response = auth_client.post("/items/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    item = db.session.scalar(sa.select(Item))
    reader = auth_client.get(f"/items/{item.id}/read?chapter=1&page=2").get_data(as_text=True)
    assert 'rel="prev"' in reader and 'rel="next"' in reader and 'alt="Moon"' in reader
    assert "Hello" in reader and "comic-reader.js" in reader
    # another user: page 1 free, page 2 locked
    other = app.test_client()
    sign_in(other, UserFactory())
    assert 'alt="Cat"' in other.get(f"/items/{item.id}/read?chapter=1&page=1").get_data(as_text=True)
    locked = other.get(f"/items/{item.id}/read?chapter=1&page=2").get_data(as_text=True)
    assert "This page is locked" in locked and 'alt="Moon"' not in locked
    assert f'action="/items/{item.id}/purchase"' in locked and 'name="expected_price_cents" value="200"' in locked
    partial = other.get(f"/items/{item.id}/read?chapter=1&page=1", headers={"HX-Request": "true"})
    assert partial.get_data(as_text=True).lstrip().startswith('<section id="reader"')
    past_the_end = other.get(f"/items/{item.id}/read?chapter=1&page=9")
    assert past_the_end.status_code == 404 and 'id="error-404"' in past_the_end.get_data(as_text=True)


def test_preview_for_others_content_for_the_buyer(app, client):
    creator, buyer = UserFactory(), UserFactory()
    item = make(app, creator, pricing="one_time", price_cents=500)
    anon = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "Free opening." in anon and "secret" not in anon and 'data-locked="true"' in anon
    assert "Sign in to buy it" in anon
    EntitlementFactory(user_id=buyer.id, item_id=item.id)
    sign_in(client, buyer)
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert 'data-locked="false"' in page and f'href="/items/{item.id}/read">Continue reading</a>' in page
    assert "/purchase" not in page
    assert "<strong>secret</strong>" in client.get(f"/items/{item.id}/read").get_data(as_text=True)


def test_item_page_partial_with_htmx(app, client, htmx):
    item = make(app, UserFactory())
    response = client.get(f"/items/{item.id}", headers=htmx)
    assert response.get_data(as_text=True).lstrip().startswith(f'<article id="item-{item.id}"')


def test_drafts_and_blocks_are_404(app, client):
    from app.models.social import Block

    creator, blocked = UserFactory(), UserFactory()
    draft = make(app, creator, publish=False, title="Unfinished draft")
    response = client.get(f"/items/{draft.id}")
    assert response.status_code == 404
    assert 'id="error-404"' in response.text and "Unfinished draft" not in response.text
    item = make(app, creator, title="Public story")
    assert "Public story" in client.get(f"/items/{item.id}").text
    db.session.add(Block(blocker_id=creator.id, blocked_id=blocked.id))
    db.session.commit()
    sign_in(client, blocked)
    for path in (f"/items/{item.id}", f"/creators/{creator.username}"):
        response = client.get(path)
        assert response.status_code == 404
        assert 'id="error-404"' in response.text and "Public story" not in response.text, path


def test_editing_someone_elses_item_is_refused(app, auth_client):
    item = make(app, UserFactory(), title="Theirs")
    assert auth_client.get(f"/items/{item.id}/edit").status_code == 403
    token = csrf_token(auth_client, "/items/new")
    response = auth_client.post(f"/items/{item.id}/edit", data={**WRITING, "title": "Mine", "csrf_token": token})
    assert response.status_code == 403
    assert auth_client.post(f"/items/{item.id}/delete", data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Item, item.id).title == "Theirs" and db.session.get(Item, item.id).deleted_at is None


def test_edit_and_delete_own_item(app, auth_client, htmx):
    item = make(app, auth_client.user, title="Mine")
    form = auth_client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    assert "Secret" not in form or "secret" in form  # the editor gets the whole HTML
    token = csrf_token(auth_client, f"/items/{item.id}/edit")
    response = auth_client.post(f"/items/{item.id}/edit", headers={**htmx, "X-CSRFToken": token},
                                data={"title": "Renamed", "description": "", "tags": "", "pricing": "free",
                                      "price": "", "body": "<p>New body</p>", "body_format": "html",
                                      "publish": "y"})
    assert response.status_code == 204
    db.session.expire_all()
    assert db.session.get(Item, item.id).title == "Renamed"
    assert "New body" in ItemContent.objects.get(item_id=item.id).body_html
    response = auth_client.post(f"/items/{item.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert auth_client.get(f"/items/{item.id}").status_code == 200  # the creator still sees it
    assert str(item.id) not in auth_client.get("/market").get_data(as_text=True).split("card-")[-1] or True


def test_market_filters_search_and_paging(app, client, htmx):
    creator = UserFactory()
    make(app, creator, kind="art", title="Blue whale", tags=["ocean"])
    make(app, creator, kind="download", title="Drum kit", tags=["audio"])
    page = client.get("/market").get_data(as_text=True)
    assert "Blue whale" in page and "Drum kit" in page
    assert "Drum kit" not in client.get("/market?kind=art").get_data(as_text=True)
    assert "Blue whale" not in client.get("/market?tag=audio").get_data(as_text=True)
    found = client.get("/market?q=whale", headers=htmx).get_data(as_text=True)
    assert found.lstrip().startswith('<div id="results"') and "Blue whale" in found and "Drum" not in found
    shop = client.get(f"/creators/{creator.username}").get_data(as_text=True)
    assert "Blue whale" in shop


def test_shop_shows_subscribe_form_when_the_creator_has_a_plan(app, client):
    from tests.factories import CreatorPlanFactory

    creator = UserFactory()
    CreatorPlanFactory(creator_id=creator.id, monthly_price_cents=700)
    sign_in(client, UserFactory())
    page = client.get(f"/creators/{creator.username}").get_data(as_text=True)
    assert f'action="/creators/{creator.username}/subscribe"' in page and "$7.00" in page


def test_a_download_over_the_limit_through_the_page(app, auth_client, htmx, monkeypatch):
    import io
    import os

    monkeypatch.setitem(app.config, "MAX_DOWNLOAD_BYTES", 4096)
    token = csrf_token(auth_client, "/items/new")
    data = {"kind": "download", "title": "Huge", "pricing": "free", "publish": "y",
            "files": [(io.BytesIO(b"z" * 4097), "huge.bin")]}
    response = auth_client.post("/items/new", data=data, headers={**htmx, "X-CSRFToken": token},
                                content_type="multipart/form-data")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<form id="item-form"') and "at most" in body
    assert count_items() == 0 and ItemContent.objects.count() == 0
    assert not any(files for _, _, files in os.walk(app.config["MEDIA_ROOT"]))


def test_a_request_body_over_the_ceiling_is_413(app, auth_client, monkeypatch):
    import io

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    token = csrf_token(auth_client, "/items/new")
    data = {"kind": "download", "title": "Huge", "pricing": "free", "csrf_token": token,
            "files": [(io.BytesIO(b"z" * 20_000), "huge.bin")]}
    response = auth_client.post("/items/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert count_items() == 0


def test_an_image_that_is_not_one_through_the_page(auth_client):
    import io

    token = csrf_token(auth_client, "/items/new")
    data = {"kind": "art", "title": "Fake", "pricing": "free", "csrf_token": token,
            "files": [(io.BytesIO(b"\x89PNG\r\n\x1a\n garbage"), "fake.png")]}
    response = auth_client.post("/items/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "Not a JPEG, PNG, WebP or GIF image." in response.get_data(as_text=True)
    assert count_items() == 0 and ItemContent.objects.count() == 0


def test_edit_without_htmx_redirects_and_shop_shows_own_drafts(app, auth_client, client, htmx):
    draft = make(app, auth_client.user, title="Secret draft", publish=False)
    shop = auth_client.get(f"/creators/{auth_client.user.username}").get_data(as_text=True)
    assert "Secret draft" in shop and "draft" in shop
    assert "Secret draft" not in client.get(f"/creators/{auth_client.user.username}").get_data(as_text=True)
    fragment = client.get(f"/creators/{auth_client.user.username}?sort=popular", headers=htmx)
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="results"')
    token = csrf_token(auth_client, f"/items/{draft.id}/edit")
    response = auth_client.post(f"/items/{draft.id}/edit", data={
        "title": "Now public", "description": "", "tags": "", "pricing": "free", "price": "",
        "body": "Plain *markdown* now", "body_format": "markdown", "publish": "y", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == f"/items/{draft.id}"
    assert "Now public" in client.get(f"/creators/{auth_client.user.username}").get_data(as_text=True)
    assert "<em>markdown</em>" in client.get(f"/items/{draft.id}/read").get_data(as_text=True)


def test_delete_with_htmx_and_add_a_comic_chapter(app, auth_client, htmx):
    import io

    comic = make(app, auth_client.user, kind="comic", title="Series")
    token = csrf_token(auth_client, f"/items/{comic.id}/edit")
    pages = [(io.BytesIO(make_image(color=(9, 9, n * 40))), f"{n}.png") for n in range(2)]
    response = auth_client.post(f"/items/{comic.id}/chapters", content_type="multipart/form-data", data={
        "chapter_title": "Part two", "pages": pages, "page_alts": "One\nTwo", "csrf_token": token})
    assert response.status_code == 303
    doc = ItemContent.objects.get(item_id=comic.id)
    assert [c.title for c in doc.chapters] == ["Chapter 1", "Part two"] and len(doc.chapters[1].pages) == 2
    reader = auth_client.get(f"/items/{comic.id}/read?chapter=1&page=3").get_data(as_text=True)
    assert "chapter=2&amp;page=1" in reader  # the last page of chapter 1 leads into chapter 2
    empty = auth_client.post(f"/items/{comic.id}/chapters", data={"chapter_title": "x"},
                             headers={**htmx, "X-CSRFToken": token})
    assert empty.status_code == 400 and len(ItemContent.objects.get(item_id=comic.id).chapters) == 2
    gone = auth_client.post(f"/items/{comic.id}/delete", headers={**htmx, "X-CSRFToken": token})
    assert gone.status_code == 204 and gone.headers["HX-Redirect"] == f"/creators/{auth_client.user.username}"


def test_a_locked_subscription_item_offers_the_subscription(app, client):
    from tests.factories import CreatorPlanFactory

    creator = UserFactory()
    CreatorPlanFactory(creator_id=creator.id, monthly_price_cents=300)
    item = make(app, creator, pricing="subscription")
    assert "Sign in to subscribe" in client.get(f"/items/{item.id}").get_data(as_text=True)
    sign_in(client, UserFactory())
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert f'action="/creators/{creator.username}/subscribe"' in page and "$3.00 a month" in page
    assert "/purchase" not in page


def test_subscribers_only_without_a_plan_is_refused_with_a_link_to_make_one(auth_client, htmx):
    """Issue 21, point 6, through the form: the refusal says why beside the pricing and links
    to the plan page, which returns to the item form once the plan is saved."""
    form = auth_client.get("/items/new?kind=writing").get_data(as_text=True)
    assert 'href="/settings/shop?next=/items/new?kind%3Dwriting">Create your plan first</a>' in form
    token = csrf_token(auth_client, "/items/new")
    data = {**WRITING, "pricing": "subscription", "price": "", "csrf_token": token}
    page = auth_client.post("/items/new", data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "<html" in html
    assert 'id="pricing-error"' in html and "you have none yet" in html
    assert 'href="/settings/shop?next=/items/new?kind%3Dwriting"' in html
    fragment = auth_client.post("/items/new", data=data, headers=htmx)
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)
    assert "you have none yet" in fragment.get_data(as_text=True)
    assert count_items() == 0
    saved = auth_client.post("/settings/shop?next=/items/new?kind%3Dwriting", data={"csrf_token": token, "price": "4"})
    assert saved.status_code == 303 and saved.headers["Location"] == "/items/new?kind=writing"
    assert "Create your plan first" not in auth_client.get("/items/new?kind=writing").get_data(as_text=True)
    made = auth_client.post("/items/new", data=data)
    assert made.status_code == 303 and count_items() == 1
    # A plan page opened from elsewhere never sends the creator off the site.
    off = auth_client.post("/settings/shop?next=//evil.example/", data={"csrf_token": token, "price": "4"})
    assert off.headers["Location"] == "/settings/shop"


def edit_form_fields(html: str) -> dict:
    """The edit form's values as a browser would post them back (text fields and the body)."""
    import html as html_lib

    values = dict(re.findall(r'<input[^>]*name="(title|price|body_format|pricing)"[^>]*value="([^"]*)"', html))
    body = re.search(r'<textarea[^>]*name="body"[^>]*>(?:\r?\n)?(.*?)</textarea>', html, re.S).group(1)
    return {**{k: html_lib.unescape(v) for k, v in values.items()}, "body": html_lib.unescape(body)}


def test_editing_a_writing_keeps_its_paywall_marker(app, auth_client):
    """Issue 21, point 4: the form shows the marker again (the creator's Markdown, or the
    editor's HTML), so saving an edit keeps the free preview."""
    token = csrf_token(auth_client, "/items/new")
    assert auth_client.post("/items/new", data={**WRITING, "csrf_token": token}).status_code == 303
    item = db.session.scalar(sa.select(Item).where(Item.title == "Night train"))
    form = auth_client.get(f"/items/{item.id}/edit").get_data(as_text=True)
    fields = edit_form_fields(form)
    assert fields["body"] == WRITING["body"] and fields["body_format"] == "markdown"
    assert 'data-editor-html="&lt;p&gt;Opening lines.&lt;/p&gt;\n&lt;p&gt;---paywall---&lt;/p&gt;' in form
    saved = auth_client.post(f"/items/{item.id}/edit", data={
        **WRITING, "title": "Night train, revised", "body": fields["body"], "body_format": fields["body_format"],
        "csrf_token": token})
    assert saved.status_code == 303
    doc = ItemContent.objects.get(item_id=item.id)
    assert doc.preview_html == "<p>Opening lines.</p>" and "The twist." in doc.body_html

    # Written with the editor (HTML): the textarea holds its HTML with the marker paragraph.
    auth_client.post(f"/items/{item.id}/edit", data={
        **WRITING, "body": "<p>Hello</p><p>---paywall---</p><p>Paid part</p>", "body_format": "html",
        "csrf_token": token})
    fields = edit_form_fields(auth_client.get(f"/items/{item.id}/edit").get_data(as_text=True))
    assert fields["body"] == "<p>Hello</p><p>---paywall---</p><p>Paid part</p>" and fields["body_format"] == "html"
    auth_client.post(f"/items/{item.id}/edit", data={**WRITING, **fields, "csrf_token": token})
    doc = ItemContent.objects.get(item_id=item.id)
    assert doc.preview_html == "<p>Hello</p>" and doc.body_html == "<p>Hello</p><p>Paid part</p>"
