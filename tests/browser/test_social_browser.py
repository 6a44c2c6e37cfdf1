"""Posting with an image and alt text, following and liking, in real Chromium, with
JavaScript on (HTMX, no page reload) and off (forms and redirects)."""

import pytest

from tests.factories import PASSWORD, PostFactory, UserFactory, make_image

pytestmark = pytest.mark.browser


def sign_in(page, user):
    page.goto("/signin")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_url("**/")


def mark(page):
    """A marker that survives only as long as the page is not reloaded."""
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_post_with_an_image_and_alt_text(browser_page, javascript, tmp_path):
    user = UserFactory()
    page = browser_page(javascript)
    sign_in(page, user)
    page.goto("/home")
    if javascript:
        mark(page)
    page.fill("#post-form textarea[name=body]", "My first drawing, see https://example.com")
    image = tmp_path / "drawing.png"
    image.write_bytes(make_image(size=(120, 80)))
    page.click("#post-form summary")  # <details> opens without JavaScript too
    page.set_input_files("#post-form input[name=image1]", str(image))
    page.fill("#post-form input[name=alt1]", "A pink rectangle drawn in ink")
    page.click("#post-form button[type=submit]")
    picture = page.locator('#feed-items img[alt="A pink rectangle drawn in ink"]')
    picture.wait_for()
    assert page.locator("#feed-items").inner_text().count("My first drawing") == 1
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    if javascript:
        assert same_document(page)
        assert page.input_value("#post-form textarea[name=body]") == ""


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_follow_and_like(browser_page, javascript):
    reader, artist = UserFactory(), UserFactory()
    PostFactory(author_id=artist.id, body="Fresh comic page")
    page = browser_page(javascript)
    sign_in(page, reader)
    page.goto(f"/u/{artist.username}")
    if javascript:
        mark(page)
    page.click("button.follow-button")
    page.locator("button.follow-button", has_text="Unfollow").wait_for()
    assert page.locator(".followers-count").inner_text() == "1"
    page.locator("form.like-form button", has_text="Like").click()
    page.locator("form.like-form .like-count", has_text="1 like").wait_for()
    assert page.locator("form.like-form button").inner_text() == "Liked"
    if javascript:
        assert same_document(page)  # follow and like happened without a page reload
    page.goto("/home")
    assert "Fresh comic page" in page.locator("#home-feed").inner_text()
