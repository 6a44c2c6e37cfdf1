"""A post while the worker's image decoding is full, in real Chromium: the form comes back
with the message and the text as typed, with JavaScript (HTMX swaps the 503 in place) and
without (the page with the form)."""

import pytest

from app.services.media.decoding import BUSY_MESSAGE, DecodeTurns
from tests.browser.test_social_browser import mark, same_document, sign_in
from tests.factories import UserFactory, make_image

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_busy_refusal_shows_in_the_form_and_keeps_the_text(app, monkeypatch, browser_page, javascript, tmp_path):
    turns = DecodeTurns(workers=1, memory=1, queue=0)  # while the test holds the turn, images are refused
    monkeypatch.setitem(app.extensions, "dreamdot.decode_turns", turns)
    page = browser_page(javascript)
    sign_in(page, UserFactory())
    page.goto("/home")
    if javascript:
        mark(page)
    page.fill("#post-form textarea[name=body]", "Typed while the server was busy")
    image = tmp_path / "drawing.png"
    image.write_bytes(make_image(size=(120, 80)))
    page.click("#post-form summary")
    page.set_input_files("#post-form input[name=image1]", str(image))
    with turns.turn(1):
        page.click("#post-form button[type=submit]")
        page.locator("#post-form .form-errors", has_text=BUSY_MESSAGE).wait_for()
    assert page.input_value("#post-form textarea[name=body]") == "Typed while the server was busy"
    if javascript:
        assert same_document(page)
