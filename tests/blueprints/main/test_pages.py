"""Every page of the foundation, once without HTMX and once with it."""

from pathlib import Path

import pytest

from tests.conftest import csrf_token

PAGES = [
    # (path, signed in, partial the HTMX request gets: the start of the fragment, or None for a full page)
    ("/", False, None),
    ("/", True, None),
    ("/signin", False, '<form id="signin-form"'),
    ("/signup", False, '<form id="signup-form"'),
    ("/u/{username}", False, '<section id="profile-'),
    ("/u/{username}", True, '<section id="profile-'),
    ("/settings/profile", True, '<form id="profile-form"'),
]


@pytest.mark.parametrize("path, signed_in, partial", PAGES)
def test_page_without_and_with_htmx(client, auth_client, htmx, path, signed_in, partial):
    browser = auth_client if signed_in else client
    path = path.format(username=auth_client.user.username)
    page = browser.get(path)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.startswith("<!doctype html>") and 'id="main"' in body
    assert "HX-Request" in page.headers["Vary"]

    fragment = browser.get(path, headers=htmx)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    if partial:
        assert text.lstrip().startswith(partial) and "<html" not in text
    else:
        assert text.startswith("<!doctype html>")


@pytest.mark.parametrize("extra", [{"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}])
def test_boosted_and_history_restore_requests_get_the_full_page(client, htmx, extra):
    body = client.get("/signin", headers={**htmx, **extra}).get_data(as_text=True)
    assert body.startswith("<!doctype html>")


def test_nav_shows_sign_in_or_the_user(client, auth_client):
    anonymous = client.get("/").get_data(as_text=True)
    assert 'href="/signin"' in anonymous and 'href="/signup"' in anonymous
    signed_in = auth_client.get("/").get_data(as_text=True)
    assert f'href="/u/{auth_client.user.username}"' in signed_in and "Sign out" in signed_in


def test_forms_have_labels(client):
    body = client.get("/signup").get_data(as_text=True)
    for name in ("username", "email", "display_name", "password"):
        assert f'<label for="{name}">' in body


def test_flash_messages_show_after_redirect(auth_client):
    token = csrf_token(auth_client, "/")
    response = auth_client.post("/signout", data={"csrf_token": token}, follow_redirects=True)
    assert "You are signed out." in response.get_data(as_text=True)


def test_signout_is_post_only(auth_client):
    response = auth_client.get("/signout")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"POST", "OPTIONS"}
    assert 'id="error-405"' in response.text
    assert auth_client.get("/settings/profile").status_code == 200  # still signed in


def test_static_assets_are_served(app, client):
    for path, mimetype in (("css/app.css", "text/css"), ("vendor/htmx-2.0.11.min.js", "text/javascript"),
                           ("vendor/htmx-ext-sse-2.2.4.min.js", "text/javascript")):
        with client.get(f"/static/{path}") as response:
            assert response.status_code == 200
            assert response.mimetype == mimetype and response.data == (Path(app.static_folder) / path).read_bytes()


def test_openapi_json_is_served_to_htmx_and_plain_requests(client, htmx):
    for headers in ({}, htmx):
        response = client.get("/api/openapi.json", headers=headers)
        assert response.status_code == 200 and response.is_json
