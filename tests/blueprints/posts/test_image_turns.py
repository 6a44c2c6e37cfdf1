"""Posting images while the worker's image decoding is full: 503 with Retry-After and a
plain message, nothing stored, and the same post goes through once the line has drained."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.social import Post
from app.services.errors import Busy
from app.services.media.decoding import BUSY_MESSAGE, DecodeTurns
from tests.conftest import bearer, csrf_token
from tests.factories import UserFactory, make_image


def count_posts() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Post))


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def turns(app, monkeypatch):
    """One image at a time and no line: while the test holds the turn, the next is refused."""
    turns = DecodeTurns(workers=1, memory=1, queue=0)
    monkeypatch.setitem(app.extensions, "dreamdot.decode_turns", turns)
    return turns


def images_form(count: int = 2) -> dict:
    return {"body": "Two pictures", "images": [(io.BytesIO(make_image()), f"{i}.png") for i in range(count)]}


def test_the_api_answers_503_busy_then_the_same_post_succeeds(app, client, turns):
    auth = bearer(app, UserFactory())
    with turns.turn(1):
        response = client.post("/api/posts/create", data=images_form(), headers=auth,
                               content_type="multipart/form-data")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json() == {"error": {"code": "images_busy", "message": BUSY_MESSAGE}}
    assert count_posts() == 0 and media_files(app) == []
    response = client.post("/api/posts/create", data=images_form(), headers=auth, content_type="multipart/form-data")
    assert response.status_code == 201 and len(response.get_json()["post"]["images"]) == 2


class SecondImageBusy(DecodeTurns):
    """Lets the first image through and finds the line full for the second."""

    def run(self, cost, fn, *args):
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == 2:
            raise Busy(BUSY_MESSAGE, retry_after=5, code="images_busy")
        return super().run(cost, fn, *args)


def test_a_post_whose_second_image_is_refused_stores_not_even_the_first(app, client, monkeypatch):
    monkeypatch.setitem(app.extensions, "dreamdot.decode_turns", SecondImageBusy(workers=1, memory=1, queue=0))
    response = client.post("/api/posts/create", data=images_form(), headers=bearer(app, UserFactory()),
                           content_type="multipart/form-data")
    assert response.status_code == 503
    assert count_posts() == 0 and media_files(app) == []


def test_the_form_without_js_is_shown_again_with_the_message_503_and_retry_after(app, auth_client, turns):
    token = csrf_token(auth_client, "/home")
    data = {"csrf_token": token, "body": "Kept while busy", "image1": (io.BytesIO(make_image()), "a.png")}
    with turns.turn(1):
        response = auth_client.post("/posts", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "<html" in body and 'id="post-form"' in body and BUSY_MESSAGE in body and "Kept while busy" in body
    assert count_posts() == 0 and media_files(app) == []


def test_with_htmx_the_form_fragment_carries_the_message_and_htmx_swaps_503(app, auth_client, htmx, turns):
    token = csrf_token(auth_client, "/home")
    page = auth_client.get("/home").get_data(as_text=True)
    assert '{"code":"503","swap":true}' in page  # layouts/base.html: HTMX swaps it like 413 and 422
    data = {"body": "Kept while busy", "image1": (io.BytesIO(make_image()), "a.png")}
    with turns.turn(1):
        response = auth_client.post("/posts", data=data, headers={**htmx, "X-CSRFToken": token},
                                    content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert body.lstrip().startswith('<form id="post-form"') and BUSY_MESSAGE in body
    assert count_posts() == 0
    data["image1"] = (io.BytesIO(make_image()), "a.png")
    response = auth_client.post("/posts", data=data, headers={**htmx, "X-CSRFToken": token},
                                content_type="multipart/form-data")
    assert response.status_code == 200 and count_posts() == 1
