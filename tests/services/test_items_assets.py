"""Managing an item's images, files, pages and chapters after upload (services)."""

import os

import pytest

from app.documents.items import ItemContent
from app.services.errors import Conflict, Invalid, NotFound
from app.services.items import assets
from app.services.items.catalog import ItemInput, add_comic_chapter, update_item
from tests.factories import UserFactory
from tests.items_helpers import new_item, png, request_context, upload


@pytest.fixture(autouse=True)
def _request(app):
    yield from request_context(app)


def stored(app, key) -> bool:
    return os.path.isfile(os.path.join(app.config["MEDIA_ROOT"], key))


def content(item) -> ItemContent:
    return ItemContent.objects.get(item_id=item.id)


def three_images(creator):
    return new_item(creator, kind="art", files=[png((10, 10, 10)), png((20, 20, 20)), png((30, 30, 30))],
                    alts=["one", "two", "three"])


def test_new_parts_get_uids(app):
    creator = UserFactory()
    for kind in ("art", "download", "comic"):
        doc = content(new_item(creator, kind=kind))
        parts = [*doc.images, *doc.files, *doc.chapters, *(p for c in doc.chapters for p in c.pages)]
        assert parts and all(len(p.uid) == 16 for p in parts)
        assert len({p.uid for p in parts}) == len(parts)


def test_older_documents_get_uids_once(app):
    item = new_item(UserFactory(), kind="comic")
    ItemContent.objects(item_id=item.id).update_one(unset__chapters__0__uid=True)
    ItemContent.objects(item_id=item.id).update_one(__raw__={"$unset": {"chapters.0.pages.1.uid": ""}})
    doc = content(item)
    assert doc.chapters[0].uid is None and doc.chapters[0].pages[1].uid is None
    assets.ensure_uids(doc)
    again = content(item)
    assert again.chapters[0].uid and again.chapters[0].pages[1].uid == doc.chapters[0].pages[1].uid
    before = again.revision
    assets.ensure_uids(again)  # nothing missing: no write
    assert content(item).revision == before


def test_remove_an_image_deletes_its_files(app):
    creator = UserFactory()
    item = three_images(creator)
    doc = content(item)
    gone = doc.images[1]
    assert stored(app, gone.key) and stored(app, gone.preview_key)
    assets.remove_asset(item, creator, gone.uid)
    doc = content(item)
    assert [i.alt for i in doc.images] == ["one", "three"]
    assert not stored(app, gone.key) and not stored(app, gone.preview_key)
    assert all(stored(app, i.key) for i in doc.images)


def test_the_last_image_and_file_stay(app):
    creator = UserFactory()
    art = new_item(creator, kind="art", files=[png()])
    image = content(art).images[0]
    with pytest.raises(Invalid) as exc:
        assets.remove_asset(art, creator, image.uid)
    assert exc.value.code == "last_asset" and exc.value.status == 400
    assert len(content(art).images) == 1 and stored(app, image.key)
    download = new_item(creator, kind="download")
    with pytest.raises(Invalid):
        assets.remove_asset(download, creator, content(download).files[0].uid)
    assert len(content(download).files) == 1


def test_remove_a_download_file(app):
    creator = UserFactory()
    item = new_item(creator, kind="download", files=[upload(b"a" * 10, "a.zip"), upload(b"b" * 10, "b.zip")])
    first = content(item).files[0]
    assets.remove_asset(item, creator, first.uid)
    assert [f.name for f in content(item).files] == ["b.zip"]
    assert not stored(app, first.key)


def test_another_items_uid_is_not_found(app):
    creator = UserFactory()
    mine, other = three_images(creator), three_images(creator)
    foreign = content(other).images[0].uid
    for call in (lambda: assets.remove_asset(mine, creator, foreign),
                 lambda: assets.move_asset(mine, creator, foreign, "up"),
                 lambda: assets.set_alt(mine, creator, foreign, "x"),
                 lambda: assets.remove_asset(mine, creator, "../../etc"),
                 lambda: assets.remove_chapter(mine, creator, foreign)):
        with pytest.raises(NotFound):
            call()
    assert len(content(mine).images) == 3 and len(content(other).images) == 3


def test_reorder_images_and_edges(app):
    creator = UserFactory()
    item = three_images(creator)
    doc = content(item)
    last = doc.images[2].uid
    assert assets.move_asset(item, creator, last, "up") is True
    assert [i.alt for i in content(item).images] == ["one", "three", "two"]
    assert assets.move_asset(item, creator, doc.images[0].uid, "up") is False  # already first
    assert assets.move_asset(item, creator, last, "up") is True
    assert assets.move_asset(item, creator, last, "up") is False
    assert [i.alt for i in content(item).images] == ["three", "one", "two"]
    with pytest.raises(Invalid):
        assets.move_asset(item, creator, last, "sideways")


def test_a_removed_uid_cannot_move(app):
    creator = UserFactory()
    item = three_images(creator)
    uid = content(item).images[1].uid
    assets.remove_asset(item, creator, uid)
    before = [i.uid for i in content(item).images]
    with pytest.raises(NotFound) as exc:
        assets.move_asset(item, creator, uid, "up")
    assert "out of date" in exc.value.message
    assert [i.uid for i in content(item).images] == before


def test_comic_pages_stay_consecutive(app):
    creator = UserFactory()
    item = new_item(creator, kind="comic")
    add_comic_chapter(item, creator, ItemInput(pages=[png(), png((1, 2, 3))], alts=["A", "B"], chapter_title="Two"))
    doc = content(item)
    assets.remove_asset(item, creator, doc.chapters[0].pages[0].uid)
    assets.move_asset(item, creator, doc.chapters[1].pages[1].uid, "up")
    doc = content(item)
    assert [p.alt for p in doc.chapters[0].pages] == ["Panel two", "Panel three"]
    assert [p.alt for p in doc.chapters[1].pages] == ["B", "A"]
    rows = assets.asset_rows(item, doc, creator)["chapters"]
    assert [p["number"] for p in rows[0]["pages"]] == [1, 2]
    from app.services.items.views import view_item

    pages = view_item(item, creator).content["chapters"][0]["pages"]
    assert [p["number"] for p in pages] == [1, 2]


def test_a_chapter_keeps_a_page_and_a_comic_a_chapter(app):
    creator = UserFactory()
    item = new_item(creator, kind="comic", pages=[png()], alts=["Only"])
    doc = content(item)
    with pytest.raises(Invalid):
        assets.remove_asset(item, creator, doc.chapters[0].pages[0].uid)
    with pytest.raises(Invalid):
        assets.remove_chapter(item, creator, doc.chapters[0].uid)
    assert len(content(item).chapters[0].pages) == 1


def test_remove_a_chapter_renumbers_and_deletes_pages(app):
    creator = UserFactory()
    item = new_item(creator, kind="comic")
    for title in ("Two", "Three"):
        add_comic_chapter(item, creator, ItemInput(pages=[png()], chapter_title=title))
    doc = content(item)
    gone = doc.chapters[1]
    assets.remove_chapter(item, creator, gone.uid)
    doc = content(item)
    assert [(c.number, c.title) for c in doc.chapters] == [(1, "Chapter 1"), (2, "Three")]
    assert not stored(app, gone.pages[0].key)
    assert assets.move_chapter(item, creator, doc.chapters[1].uid, "up")
    assert [(c.number, c.title) for c in content(item).chapters] == [(1, "Three"), (2, "Chapter 1")]


def test_alt_text_and_transcript(app):
    creator = UserFactory()
    item = new_item(creator, kind="comic")
    page = content(item).chapters[0].pages[0]
    assets.set_alt(item, creator, page.uid, "  A cat on a roof ", "Meow.")
    page = content(item).chapters[0].pages[0]
    assert (page.alt, page.transcript) == ("A cat on a roof", "Meow.")
    with pytest.raises(Invalid):
        assets.set_alt(item, creator, page.uid, "x" * 501)


def test_a_stale_save_is_refused(app):
    creator = UserFactory()
    item = three_images(creator)
    stale = content(item)
    assets.move_asset(item, creator, stale.images[0].uid, "down")
    stale.images.pop(0)
    with pytest.raises(Conflict):
        assets.save_content(stale, "images")
    assert len(content(item).images) == 3


def test_update_item_saves_with_the_revision(app):
    creator = UserFactory()
    item = three_images(creator)
    update_item(item, creator, {}, ItemInput(files=[png((5, 5, 5))], alts=["four"]))
    assert [i.alt for i in content(item).images] == ["one", "two", "three", "four"]
    assert content(item).revision == 1


def test_only_the_creator_loads_for_assets(app):
    creator, other = UserFactory(), UserFactory()
    item = three_images(creator)
    assert assets.get_item_for_assets(item.id, creator) is not None
    with pytest.raises(NotFound):
        assets.get_item_for_assets(item.id, other)
    writing = new_item(creator)
    with pytest.raises(NotFound):
        assets.get_item_for_assets(writing.id, creator)


def test_a_move_from_an_outdated_order_changes_nothing(app):
    creator = UserFactory()
    item = three_images(creator)
    last = content(item).images[2].uid
    assert assets.move_asset(item, creator, last, "up", position="3")
    with pytest.raises(Conflict) as exc:  # the same click again: the image is no longer third
        assets.move_asset(item, creator, last, "up", position="3")
    assert exc.value.code == "order_changed"
    assert [i.alt for i in content(item).images] == ["one", "three", "two"]
