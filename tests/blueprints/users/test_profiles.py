"""Profile pages, the edit form (without JS and with HTMX), uploads and the users API."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import AuditEvent, User
from tests.conftest import bearer, csrf_token
from tests.factories import make_image

MB = 1024 * 1024


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def multipart(data: dict) -> dict:
    """The body encoded in memory: a refused upload then leaves no spooled temp file open."""
    values = {k: FileStorage(v[0], filename=v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def post_profile(client, data, htmx=None):
    token = csrf_token(client, "/settings/profile")
    headers = {**(htmx or {}), "X-CSRFToken": token}
    return client.post("/settings/profile", headers=headers, **multipart(data))


def test_profile_page_full_and_fragment(client, user, htmx):
    page = client.get(f"/u/{user.username}")
    assert page.status_code == 200
    assert "<html" in page.get_data(as_text=True)
    assert f"@{user.username}" in page.get_data(as_text=True)
    fragment = client.get(f"/u/{user.username}", headers=htmx).get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<section id="profile-{user.id}"') and "<html" not in fragment


def test_profile_lookup_ignores_case(client, user):
    response = client.get(f"/u/{user.username.upper()}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f'<section id="profile-{user.id}"' in text and f"@{user.username}" in text


def test_unknown_profile_is_404_page_and_json(client, htmx):
    assert client.get("/u/nobody").status_code == 404
    assert client.get("/u/nobody", headers=htmx).status_code == 404
    response = client.get("/api/users/nobody")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_profile_escapes_what_users_write(client, user):
    user.display_name = "<script>alert(1)</script>"
    user.bio = "<img src=x onerror=alert(1)>"
    db.session.commit()
    body = client.get(f"/u/{user.username}").get_data(as_text=True)
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;" in body


def test_edit_page_full_and_fragment(auth_client, htmx):
    assert b"<html" in auth_client.get("/settings/profile").data
    fragment = auth_client.get("/settings/profile", headers=htmx).get_data(as_text=True)
    assert fragment.lstrip().startswith('<form id="profile-form"')
    assert 'enctype="multipart/form-data"' in fragment


def test_edit_without_js_saves_and_redirects_303(auth_client):
    response = post_profile(auth_client, {"display_name": "New Name", "bio": "Hello there"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/u/{auth_client.user.username}"
    user = fresh(auth_client.user)
    assert (user.display_name, user.bio) == ("New Name", "Hello there")
    assert b"Your profile is saved." in auth_client.get(response.headers["Location"]).data


def test_edit_with_htmx_redirects_by_header(auth_client, htmx):
    response = post_profile(auth_client, {"display_name": "Via HTMX", "bio": ""}, htmx)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/u/{auth_client.user.username}"
    assert fresh(auth_client.user).display_name == "Via HTMX"


@pytest.mark.parametrize("hx", [False, True])
def test_bio_over_500_characters_is_refused(auth_client, htmx, hx):
    response = post_profile(auth_client, {"display_name": "X", "bio": "b" * 501}, htmx if hx else None)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "500 characters" in body
    assert body.lstrip().startswith('<form id="profile-form"') == hx
    assert fresh(auth_client.user).bio == ""
    assert not db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "profile_update")).all()


def test_bio_of_500_characters_is_accepted(auth_client):
    response = post_profile(auth_client, {"display_name": "X", "bio": "b" * 500})
    assert response.status_code == 303 and response.headers["Location"] == f"/u/{auth_client.user.username}"
    assert fresh(auth_client.user).bio == "b" * 500


def test_avatar_is_reencoded_to_webp_400_square_without_exif(app, auth_client):
    jpeg = make_image("JPEG", size=(900, 600), exif=True)
    assert b"SecretCameraMaker" in jpeg
    response = post_profile(auth_client, {"display_name": "A", "bio": "",
                                          "avatar": (io.BytesIO(jpeg), "me.jpg")})
    assert response.status_code == 303
    user = fresh(auth_client.user)
    assert user.avatar_key.startswith("public/profiles/") and user.avatar_key.endswith(".webp")
    stored = Path(app.config["MEDIA_ROOT"]) / user.avatar_key
    data = stored.read_bytes()
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size) == ("WEBP", (400, 400))
    assert "exif" not in image.info and len(image.getexif()) == 0
    assert b"SecretCameraMaker" not in data
    served = auth_client.get(f"/media/{user.avatar_key}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.get_data() == data
    served.close()
    assert f"/media/{user.avatar_key}" in auth_client.get(f"/u/{user.username}").get_data(as_text=True)


def test_banner_is_1500_by_500(app, auth_client):
    png = make_image("PNG", size=(800, 800))
    response = post_profile(auth_client, {"display_name": "A", "bio": "", "banner": (io.BytesIO(png), "b.png")})
    assert response.status_code == 303
    key = fresh(auth_client.user).banner_key
    with Image.open(Path(app.config["MEDIA_ROOT"]) / key) as image:
        assert (image.format, image.size) == ("WEBP", (1500, 500))


def test_replacing_and_removing_an_avatar_deletes_the_old_file(app, auth_client):
    post_profile(auth_client, {"display_name": "A", "avatar": (io.BytesIO(make_image()), "a.png")})
    first = fresh(auth_client.user).avatar_key
    post_profile(auth_client, {"display_name": "A", "avatar": (io.BytesIO(make_image()), "b.png")})
    second = fresh(auth_client.user).avatar_key
    assert second != first
    assert [p.name for p in media_files(app)] == [Path(second).name]
    post_profile(auth_client, {"display_name": "A", "remove_avatar": "y"})
    assert fresh(auth_client.user).avatar_key is None
    assert media_files(app) == []


@pytest.mark.parametrize("field", ["avatar", "banner"])
@pytest.mark.parametrize("hx", [False, True])
def test_a_20_mb_image_is_refused_beside_its_field_and_the_form_keeps_what_was_typed(app, auth_client, htmx, hx,
                                                                                       field):
    big = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * MB))
    response = post_profile(auth_client, {"display_name": "Big", "bio": "Typed, not saved", field: (big, "big.png")},
                            htmx if hx else None)
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<form id="profile-form"') == hx and ("<html" in body) != hx
    assert f'<p id="{field}-error" class="error">The file is larger than 5 MB.</p>' in body
    assert 'value="Big"' in body and "Typed, not saved</textarea>" in body
    user = fresh(auth_client.user)
    assert user.avatar_key is None and user.banner_key is None and user.display_name != "Big"
    assert media_files(app) == []


def test_a_body_over_the_app_ceiling_is_refused_before_it_is_read(app, auth_client):
    token = csrf_token(auth_client, "/settings/profile")
    updated_at = fresh(auth_client.user).updated_at
    over = app.config["MAX_CONTENT_LENGTH"] + 1
    response = auth_client.post("/settings/profile", data=b"x" * 16, headers={"X-CSRFToken": token},
                                content_type="multipart/form-data; boundary=x",
                                environ_overrides={"CONTENT_LENGTH": str(over)})
    assert response.status_code == 413
    assert "That upload is too large." in response.get_data(as_text=True)
    assert fresh(auth_client.user).updated_at == updated_at
    assert media_files(app) == []


@pytest.mark.parametrize("hx", [False, True])
def test_a_text_file_named_png_is_refused_clearly(app, auth_client, htmx, hx):
    response = post_profile(auth_client, {"display_name": "T",
                                          "avatar": (io.BytesIO(b"just some text\n" * 50), "cat.png")},
                            htmx if hx else None)
    assert response.status_code == 422
    assert "Not a JPEG, PNG, WebP or GIF image." in response.get_data(as_text=True)
    user = fresh(auth_client.user)
    assert user.avatar_key is None and user.display_name != "T"
    assert media_files(app) == []


def test_profile_change_is_audited(auth_client):
    post_profile(auth_client, {"display_name": "Changed", "bio": "hi"})
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "profile_update"))
    assert event.user_id == auth_client.user.id
    assert event.details["fields"] == ["bio", "display_name"]


# The JSON API


def test_api_get_user(app, client, user):
    response = client.get(f"/api/users/{user.username}")
    assert response.status_code == 200
    data = response.get_json()
    assert data["user"]["username"] == user.username
    assert data["is_following"] is False and data["is_blocked"] is False


def test_api_patch_me_with_json(app, client, user):
    response = client.patch("/api/users/me", json={"display_name": "Json Name", "bio": "json bio"},
                            headers=bearer(app, user))
    assert response.status_code == 200
    assert response.get_json()["user"]["display_name"] == "Json Name"
    assert fresh(user).bio == "json bio"


def test_api_patch_me_with_multipart_images(app, client, user):
    response = client.patch(
        "/api/users/me",
        data={"bio": "multi", "avatar": (io.BytesIO(make_image("WEBP")), "a.webp"),
              "banner": (io.BytesIO(make_image("GIF")), "b.gif")},
        headers=bearer(app, user), content_type="multipart/form-data",
    )
    assert response.status_code == 200
    data = response.get_json()["user"]
    assert data["bio"] == "multi"
    assert data["avatar_url"].startswith("/media/public/profiles/")
    assert data["banner_url"].endswith(".webp")
    assert len(media_files(app)) == 2


def test_api_patch_me_bad_input(app, client, user):
    headers = bearer(app, user)
    response = client.patch("/api/users/me", json={"bio": "b" * 501}, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["bio"]
    response = client.patch("/api/users/me", json={"bio": 5}, headers=headers)
    assert response.status_code == 400
    response = client.patch("/api/users/me", data={"avatar": (io.BytesIO(b"text"), "x.png")},
                            headers=headers, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_image"
    big = io.BytesIO(b"\0" * (20 * MB))
    response = client.patch("/api/users/me", headers=headers, **multipart({"avatar": (big, "x.png")}))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert fresh(user).bio == "" and fresh(user).avatar_key is None
    assert media_files(app) == []


def test_api_patch_me_needs_a_user(client, user):
    response = client.patch("/api/users/me", json={"bio": "x"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert fresh(user).bio == ""
