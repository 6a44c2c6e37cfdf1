import os

import pytest
import sqlalchemy as sa

from app.documents.items import ItemContent
from app.extensions import db
from app.models.items import Item, ItemTag
from app.services.errors import Invalid, TooLarge
from app.services.items.catalog import ItemInput, create_item, delete_item, update_item
from app.services.items.search import search_items
from app.services.items.views import view_item
from tests.factories import EntitlementFactory, UserFactory
from tests.items_helpers import new_item, png, request_context, upload


@pytest.fixture(autouse=True)
def _request(app):
    yield from request_context(app)


def media_files(app):
    root = app.config["MEDIA_ROOT"]
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def test_writing_splits_at_the_paywall_and_sanitizes(app):
    creator = UserFactory()
    item = new_item(creator, pricing="one_time", price_cents=499,
                    body="Hello <script>alert(1)</script>[x](javascript:alert(1)) [ok](https://e.com)\n\n"
                         "---paywall---\n\nSecret part.")
    doc = ItemContent.objects.get(item_id=item.id)
    assert "script" not in doc.body_html and "javascript" not in doc.body_html
    assert 'rel="nofollow noopener"' in doc.body_html
    assert "Secret part" in doc.body_html and "Secret part" not in doc.preview_html
    assert "Hello" in doc.preview_html and "paywall" not in doc.body_html
    other = UserFactory()
    view = view_item(item, other)
    assert view.locked and view.content is None and "Secret" not in str(view.preview)
    assert not view_item(item, creator).locked


@pytest.mark.parametrize("kind", ["download", "writing", "art", "comic"])
def test_every_kind_is_created_with_content(app, kind):
    creator = UserFactory()
    item = new_item(creator, kind=kind, pricing="one_time", price_cents=250)
    doc = ItemContent.objects.get(item_id=item.id)
    assert doc.kind == kind
    view = view_item(item, creator)
    assert view.content and not view.locked
    buyer = UserFactory()
    EntitlementFactory(user_id=buyer.id, item_id=item.id)
    assert view_item(item, buyer).content == view.content or kind in ("art", "comic", "download")


def test_comic_free_pages_and_preview(app):
    creator = UserFactory()
    item = new_item(creator, kind="comic", pricing="one_time", price_cents=100, free_pages=1)
    preview = view_item(item, UserFactory()).preview
    pages = preview["chapters"][0]["pages"]
    assert [p["locked"] for p in pages] == [False, True, True]
    assert pages[0]["url"] and pages[1]["url"] is None
    assert pages[0]["alt"] == "Panel one"


def test_art_preview_is_public_and_watermarked_original_private(app):
    creator = UserFactory()
    item = new_item(creator, kind="art", pricing="one_time", price_cents=900)
    doc = ItemContent.objects.get(item_id=item.id)
    assert all(i.preview_key.startswith("public/") and not i.key.startswith("public/") for i in doc.images)
    assert doc.images[0].preview_key != doc.images[0].key


@pytest.mark.parametrize(("fields", "field"), [
    ({"price_cents": -1, "pricing": "one_time"}, "price_cents"),
    ({"price_cents": 0, "pricing": "one_time"}, "price_cents"),
    ({"price_cents": 10_000_000_000, "pricing": "one_time"}, "price_cents"),
    ({"price_cents": "12.5", "pricing": "one_time"}, "price_cents"),
    ({"kind": "sculpture"}, "kind"),
    ({"pricing": "maybe"}, "pricing"),
    ({"title": ""}, "title"),
    ({"tags": ["ok", "<b>bad</b>"]}, "tags"),
])
def test_bad_fields_write_nothing(app, fields, field):
    creator = UserFactory()
    base = {"kind": "art", "title": "T", "description": "", "pricing": "free", "price_cents": 0}
    with pytest.raises(Invalid) as err:
        create_item(creator, {**base, **fields}, ItemInput(files=[png()], publish=True))
    assert field in err.value.fields
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0
    assert ItemContent.objects.count() == 0 and media_files(app) == []


def test_not_an_image_writes_nothing(app):
    creator = UserFactory()
    with pytest.raises(Invalid) as err:
        new_item(creator, kind="art", files=[png(), upload(b"<svg onload=alert(1)>", "x.png")])
    assert err.value.code == "invalid_image"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0
    assert ItemContent.objects.count() == 0 and media_files(app) == []


def test_comic_page_out_of_order_writes_nothing(app):
    creator = UserFactory()
    with pytest.raises(Invalid) as err:
        new_item(creator, kind="comic", pages=[png(), png(), png()], page_numbers=["1", "3", "2"])
    assert err.value.code == "page_out_of_order"
    db.session.rollback()
    assert ItemContent.objects.count() == 0 and media_files(app) == []


def test_download_over_the_limit_leaves_nothing(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_DOWNLOAD_BYTES", 1000)
    creator = UserFactory()
    files = [upload(b"a" * 500, "small.zip"), upload(b"b" * 1001, "big.zip")]
    with pytest.raises(TooLarge):
        new_item(creator, kind="download", files=files)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0
    assert ItemContent.objects.count() == 0 and media_files(app) == []


def test_the_default_download_limit_is_200_mb(monkeypatch):
    from config import Config

    monkeypatch.delenv("MAX_DOWNLOAD_MB", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/dreamdot")
    assert Config("development").MAX_DOWNLOAD_BYTES == 200 * 1024 * 1024


def test_update_delete_and_search_stay_in_sync(app):
    creator = UserFactory()
    item = new_item(creator, title="Moonlit harbor", tags=["sea"])
    db.session.commit()
    assert [i.id for i in search_items(q="harb").items] == [item.id]
    update_item(item, creator, {"title": "Sunny meadow", "tags": "grass, green"})
    assert search_items(q="harbor").items == []
    assert [i.id for i in search_items(q="meadow green").items] == [item.id]
    assert [i.id for i in search_items(tag="grass").items] == [item.id]
    assert sorted(db.session.scalars(sa.select(ItemTag.tag))) == ["grass", "green"]
    delete_item(item, creator)
    assert search_items(q="meadow").items == [] and search_items().items == []
    assert ItemContent.objects(item_id=item.id).count() == 1  # kept for buyers


def test_keyset_pages_and_sorts(app):
    creator = UserFactory()
    items = [new_item(creator, title=f"Piece {n}") for n in range(5)]
    first = search_items(limit=2)
    assert [i.id for i in first.items] == [items[4].id, items[3].id]
    second = search_items(limit=2, cursor=first.next_cursor)
    assert [i.id for i in second.items] == [items[2].id, items[1].id]
    third = search_items(limit=2, cursor=second.next_cursor)
    assert [i.id for i in third.items] == [items[0].id] and third.next_cursor is None
    items[1].popularity = 5
    db.session.flush()
    assert search_items(sort="popular").items[0].id == items[1].id
    with pytest.raises(Invalid):
        search_items(cursor="garbage")


def test_art_previews_follow_the_pricing(app):
    from app.services.media import storage

    creator = UserFactory()
    item = new_item(creator, kind="art", pricing="free")
    doc = ItemContent.objects.get(item_id=item.id)
    old_key = doc.images[0].preview_key
    old = storage().read(old_key)
    update_item(item, creator, {"pricing": "one_time", "price_cents": 300})
    doc.reload()
    assert doc.images[0].preview_key != old_key and storage().read(doc.images[0].preview_key) != old
    assert not storage().path(old_key).exists()
