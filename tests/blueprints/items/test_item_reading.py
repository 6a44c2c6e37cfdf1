"""Issue 21, point 13, through the pages: art shown as a large preview (the original for
those who may have it), an art card's preview without a cover, a writing's reading page
without empty-paragraph gaps, the comic reader's tips and page link, and a subscription from
an item page that returns to the item."""

from app.documents.items import ItemContent
from app.extensions import db
from app.models.items import Item
from app.services.items import assets
from app.services.media import media_url
from tests.conftest import HTMX, csrf_token, sign_in
from tests.factories import EntitlementFactory, UserFactory, fund, make_plan
from tests.items_helpers import committed_item, png


def test_art_is_a_large_preview_and_the_original_is_for_those_who_may_have_it(app, client):
    creator, buyer = UserFactory(), UserFactory()
    item = committed_item(app, creator, kind="art", pricing="one_time", price_cents=900,
                          files=[png(size=(1600, 1200)), png((9, 9, 9), size=(300, 200))])
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert 'width="800" height="600"' in page and 'width="300" height="200"' in page  # no 200 px thumbnails
    assert "Watermarked preview. The original is 1600 × 1200 px." in page and "View the original" not in page
    EntitlementFactory(user_id=buyer.id, item_id=item.id)
    sign_in(client, buyer)
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert page.count("View the original</a> (1600 × 1200 px)") == 1 and page.count(">Download</a>") == 2
    assert "/items/files/" in page


def test_an_art_card_without_a_cover_shows_its_first_preview(app, client):
    creator = UserFactory()
    item = committed_item(app, creator, kind="art", title="No cover here", files=[png(), png((200, 10, 10))])
    doc = ItemContent.objects.get(item_id=item.id)
    first, second = doc.images
    market = client.get("/market").get_data(as_text=True)
    card = market[market.index(f'id="card-{item.id}"'):]
    card = card[:card.index("</li>")]
    assert f'src="{media_url(first.preview_key)}"' in card and "cover-empty" not in card
    # The card follows the content: the second image moved first, then the first one removed.
    with app.test_request_context("/"):
        row = db.session.get(Item, item.id)
        assets.move_asset(row, creator, second.uid, "up")
        assert row.preview_key == second.preview_key
        assets.remove_asset(row, creator, first.uid)
        db.session.commit()
    assert db.session.get(Item, item.id).preview_key == second.preview_key


def test_the_reading_page_shows_the_free_part_or_all_without_empty_paragraph_gaps(app, client):
    creator, reader = UserFactory(), UserFactory()
    item = committed_item(app, creator, kind="writing", pricing="one_time", price_cents=300)
    doc = ItemContent.objects.get(item_id=item.id)  # as an editor saved it before gaps were dropped
    doc.body_html = "<p>Free opening.</p><p><br></p><p><br></p><p>The <strong>secret</strong> ending.</p>"
    doc.save()
    locked = client.get(f"/items/{item.id}/read").get_data(as_text=True)
    assert "Free opening." in locked and "secret" not in locked and "That was the free part." in locked
    assert "Sign in to buy it" in locked
    EntitlementFactory(user_id=reader.id, item_id=item.id)
    sign_in(client, reader)
    page = client.get(f"/items/{item.id}/read").get_data(as_text=True)
    assert "<p>Free opening.</p><p>The <strong>secret</strong> ending.</p>" in page and "<p><br></p>" not in page
    assert client.get(f"/items/{item.id}/read", headers=HTMX).status_code == 200
    download = committed_item(app, creator, kind="download")
    assert client.get(f"/items/{download.id}/read").status_code == 404  # nothing to read


def test_the_comic_reader_turns_pages_by_the_page_and_tips_for_keys_and_touch(app, client):
    comic = committed_item(app, UserFactory(), kind="comic")
    page = client.get(f"/items/{comic.id}/read?chapter=1&page=1").get_data(as_text=True)
    assert f'<a href="/items/{comic.id}/read?chapter=1&amp;page=2" aria-label="Next page">' in page
    assert 'class="muted reader-tip tip-keys"' in page and "tap the page" in page
    last = client.get(f"/items/{comic.id}/read?chapter=1&page=3").get_data(as_text=True)
    assert 'aria-label="Next page"' not in last


def test_subscribing_from_an_item_page_returns_to_the_item(app, client):
    creator, fan = UserFactory(), UserFactory()
    make_plan(creator, 300)
    fund(fan, credit=1000)
    item = committed_item(app, creator, kind="writing", pricing="subscription")
    sign_in(client, fan)
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert f'<input type="hidden" name="next" value="/items/{item.id}">' in page
    token = csrf_token(client, f"/items/{item.id}")
    done = client.post(f"/creators/{creator.username}/subscribe",
                       data={"csrf_token": token, "expected_price_cents": "300", "next": f"/items/{item.id}"})
    assert done.status_code == 303 and done.headers["Location"] == f"/items/{item.id}"
    assert 'data-locked="false"' in client.get(f"/items/{item.id}").get_data(as_text=True)
    away = client.post(f"/creators/{creator.username}/subscribe",
                       data={"csrf_token": token, "next": "https://evil.example/"})
    assert away.headers["Location"] == f"/creators/{creator.username}"


def test_art_saved_before_card_previews_gets_one_from_the_command(app):
    item = committed_item(app, UserFactory(), kind="art")
    db.session.get(Item, item.id).preview_key = None
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["items", "card-previews"])
    assert result.exit_code == 0 and "Art items given their card preview: 1" in result.output
    db.session.expire_all()
    assert db.session.get(Item, item.id).preview_key == ItemContent.objects.get(item_id=item.id).images[0].preview_key
