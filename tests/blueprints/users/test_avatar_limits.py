"""An avatar has a pixel limit of its own, far under an art original's: over it, a clear
413 naming the limit, and nothing stored."""

import io

import pytest
from PIL import Image

from tests.blueprints.users.test_profiles import fresh, media_files, multipart, post_profile
from tests.conftest import bearer


def over_the_avatar_limit() -> bytes:
    out = io.BytesIO()
    Image.new("1", (4001, 4000)).save(out, format="PNG")  # 16.004 megapixels, a few KB
    return out.getvalue()


LIMIT = "An avatar can have at most 16 megapixels as PNG (40 as JPEG); this one is 4,001 × 4,000 pixels (16.0 megapixels)."


@pytest.mark.parametrize("hx", [False, True])
def test_an_avatar_over_its_pixel_limit_is_413_naming_it_and_nothing_is_stored(app, auth_client, htmx, hx):
    response = post_profile(auth_client, {"display_name": "Huge", "avatar": (io.BytesIO(over_the_avatar_limit()),
                                                                           "huge.png")}, htmx if hx else None)
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert LIMIT in body and ("<html" in body) != hx
    user = fresh(auth_client.user)
    assert user.avatar_key is None and user.display_name != "Huge"
    assert media_files(app) == []


def test_the_api_answers_the_same_limit_as_json(app, client, user):
    headers = bearer(app, user)
    response = client.patch("/api/users/me", headers=headers,
                            **multipart({"avatar": (io.BytesIO(over_the_avatar_limit()), "huge.png")}))
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "image_too_large" and error["message"].startswith(LIMIT)
    assert error["fields"] == {"avatar": error["message"]}
    assert fresh(user).avatar_key is None and media_files(app) == []
