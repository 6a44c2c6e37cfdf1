"""The marketplace in real Chromium: the writing editor, a comic and its reader with the
keyboard, the preview another user sees, and the pages with JavaScript off."""

import re

import pytest
import sqlalchemy as sa

from app.documents.items import ItemContent
from app.extensions import db
from app.models.items import Item
from tests.factories import PASSWORD, UserFactory, make_image

pytestmark = pytest.mark.browser


def sign_in_browser(page, user, password: str) -> None:
    page.goto("/signin")
    page.fill("input[name='login']", user.username)
    page.fill("input[name='password']", password)
    page.click("form#signin-form button[type='submit']")
    page.wait_for_url("**/")


def created_item(title: str) -> Item:
    db.session.rollback()  # end this thread's read snapshot: the server committed meanwhile
    return db.session.scalar(sa.select(Item).where(Item.title == title))


def test_create_a_writing_with_the_editor_and_see_the_preview_as_another_user(new_browser_page):
    creator, reader = UserFactory(), UserFactory()
    page = new_browser_page()
    sign_in_browser(page, creator, PASSWORD)
    page.goto("/items/new?kind=writing")
    page.fill("input[name='title']", "Lighthouse notes")
    page.fill("textarea[name='description']", "A short piece.")
    page.select_option("select[name='pricing']", "one_time")
    page.fill("input[name='price']", "2.50")
    editor = page.locator(".ql-editor")
    editor.click()
    page.keyboard.type("The free opening.")
    page.click("button.ql-paywall")
    page.keyboard.type("The paid ending.")
    page.check("input[name='publish']")
    page.click("form#item-form button[type='submit']")
    page.wait_for_url(re.compile(r"/items/\d+$"))
    assert "The free opening." in page.inner_text(".prose")  # the item page shows the free part
    page.click("text=Continue reading")
    page.wait_for_url(re.compile(r"/items/\d+/read$"))
    assert "The paid ending." in page.inner_text(".prose")
    item = created_item("Lighthouse notes")
    doc = ItemContent.objects.get(item_id=item.id)
    assert "The free opening." in doc.preview_html and "paid ending" not in doc.preview_html
    assert item.price_cents == 250

    other = new_browser_page()
    sign_in_browser(other, reader, PASSWORD)
    other.goto(f"/items/{item.id}")
    prose = other.inner_text(".prose")
    assert "The free opening." in prose and "paid ending" not in prose
    assert other.locator(f"form[action='/items/{item.id}/purchase'] input[name='expected_price_cents']") \
        .get_attribute("value") == "250"


def test_create_a_comic_of_three_pages_and_read_it_with_the_keyboard(new_browser_page, tmp_path):
    creator = UserFactory()
    files = []
    for n, color in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)], start=1):
        path = tmp_path / f"page{n}.png"
        path.write_bytes(make_image(color=color, size=(300, 450)))
        files.append(str(path))
    page = new_browser_page()
    sign_in_browser(page, creator, PASSWORD)
    page.goto("/items/new")
    page.click("#kind-step >> text=Comic")
    page.fill("input[name='title']", "Three panels")
    page.select_option("select[name='pricing']", "free")
    page.set_input_files("input[name='pages']", files)
    page.fill("textarea[name='page_alts']", "A red page\nA green page\nA blue page")
    page.check("input[name='publish']")
    page.click("form#item-form button[type='submit']")
    page.wait_for_url(re.compile(r"/items/\d+$"))
    page.click("text=Read from the start")
    page.wait_for_url(re.compile(r"page=1"))
    assert page.get_attribute("#comic-page-image", "alt") == "A red page"
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"page=2"))
    assert page.get_attribute("#comic-page-image", "alt") == "A green page"
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"page=3"))
    assert page.get_attribute("#comic-page-image", "alt") == "A blue page"
    loaded = page.evaluate("document.getElementById('comic-page-image').naturalWidth")
    assert loaded > 0  # the signed page image really loads
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(re.compile(r"page=2"))


def test_comic_reader_and_writing_page_with_javascript_off(new_browser_page, tmp_path):
    creator, reader = UserFactory(), UserFactory()
    page = new_browser_page(javascript=False)
    sign_in_browser(page, creator, PASSWORD)
    # a writing typed as Markdown in the plain textarea
    page.goto("/items/new")
    page.click("#kind-step >> text=Writing")
    page.fill("input[name='title']", "Plain text piece")
    page.select_option("select[name='pricing']", "one_time")
    page.fill("input[name='price']", "1")
    page.fill("textarea[name='body']", "Visible *start*.\n\n---paywall---\n\nHidden end.")
    page.check("input[name='publish']")
    page.click("form#item-form button[type='submit']")
    page.wait_for_url(re.compile(r"/items/\d+$"))
    writing = created_item("Plain text piece")
    # a comic with two pages
    paths = []
    for n in range(2):
        path = tmp_path / f"p{n}.png"
        path.write_bytes(make_image(color=(n * 100, 50, 50)))
        paths.append(str(path))
    page.goto("/items/new")
    page.click("#kind-step >> text=Comic")
    page.fill("input[name='title']", "No script comic")
    page.set_input_files("input[name='pages']", paths)
    page.fill("textarea[name='page_alts']", "First\nSecond")
    page.check("input[name='publish']")
    page.click("form#item-form button[type='submit']")
    page.wait_for_url(re.compile(r"/items/\d+$"))
    comic = created_item("No script comic")
    assert comic is not None, (page.url, page.inner_text("main"))

    other = new_browser_page(javascript=False)
    sign_in_browser(other, reader, PASSWORD)
    other.goto(f"/items/{writing.id}")
    prose = other.inner_text(".prose")
    assert "Visible start." in prose and "Hidden end" not in prose
    other.goto(f"/items/{comic.id}/read?chapter=1&page=1")
    assert other.get_attribute("#comic-page-image", "alt") == "First"
    other.click(".reader-nav a[rel='next']")
    other.wait_for_url(re.compile(r"page=2"))
    assert other.get_attribute("#comic-page-image", "alt") == "Second"
    other.click("text=All pages")
    other.click(".page-index a >> text=Page 1")
    other.wait_for_url(re.compile(r"page=1"))


def test_a_download_upload_shows_progress_when_javascript_runs(new_browser_page, tmp_path):
    creator = UserFactory()
    big = tmp_path / "samples.zip"
    big.write_bytes(b"\x00" * (3 * 1024 * 1024))
    page = new_browser_page()
    sign_in_browser(page, creator, PASSWORD)
    page.goto("/items/new")
    page.click("#kind-step >> text=Download")
    page.fill("input[name='title']", "Sample pack")
    page.set_input_files("input[name='files']", str(big))
    page.check("input[name='publish']")
    # The bar's state is copied to sessionStorage, which outlives the redirect that follows.
    page.evaluate("""() => {
      const bar = document.querySelector('.upload-progress');
      new MutationObserver(() => sessionStorage.setItem('progress', (bar.hidden ? 'hidden:' : 'shown:') + bar.value))
        .observe(bar, {attributes: true});
    }""")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/items/new")) as sent:
        page.click("form#item-form button[type='submit']")
    assert sent.value.headers.get("hx-request") == "true"  # sent by XMLHttpRequest, not a plain post
    page.wait_for_url(re.compile(r"/items/\d+$"))
    assert page.evaluate("sessionStorage.getItem('progress')") == "shown:100"
    assert "samples.zip" in page.inner_text(".files") and "3.1 MB" in page.inner_text(".files")
