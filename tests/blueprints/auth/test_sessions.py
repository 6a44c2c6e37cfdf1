"""Sign-in pages: session rotation, sign-out, remember me, open redirects, CSRF."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, AuthSession, User
from tests.conftest import CSRF_RE, csrf_token, signin_form
from tests.factories import PASSWORD

COOKIE = "dreamdot_session"


def session_cookie(client):
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def page_token(client, path="/"):
    return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)


def test_signin_page_renders_full_and_as_fragment(client, htmx):
    page = client.get("/signin")
    assert page.status_code == 200
    assert "<html" in page.get_data(as_text=True)
    fragment = client.get("/signin", headers=htmx)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<form id="signin-form"') and "<html" not in body


def test_signin_without_js_redirects_303(client, user):
    response = signin_form(client, user.username, PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert b"Sign out" in client.get("/").data


def test_signin_with_htmx_sends_hx_redirect(client, user, htmx):
    token = csrf_token(client, "/signin")
    response = client.post("/signin", data={"login": user.email, "password": PASSWORD},
                           headers={**htmx, "X-CSRFToken": token})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"


def test_failed_signin_shows_one_message_as_422_fragment(client, user, htmx):
    token = csrf_token(client, "/signin")
    for login, password in ((user.username, "wrong-password-1"), ("nobody", PASSWORD)):
        response = client.post("/signin", data={"login": login, "password": password},
                               headers={**htmx, "X-CSRFToken": token})
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert body.lstrip().startswith('<form id="signin-form"')
        assert "do not match an account" in body
    assert session_cookie(client) is None or b"Sign out" not in client.get("/").data


def test_signin_rotates_session_row_cookie_and_csrf_token(client, user):
    client.get("/signin")
    cookie_before = session_cookie(client)
    token_before = page_token(client, "/signin")
    assert signin_form(client, user.username, PASSWORD).status_code == 303
    assert session_cookie(client) != cookie_before
    assert page_token(client) != token_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 1
    # Signing in again (another browser or the same) makes another row.
    other = client.application.test_client()
    signin_form(other, user.username, PASSWORD)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 2


def test_signout_revokes_the_server_side_session(client, user, make_client):
    signin_form(client, user.username, PASSWORD)
    copied = session_cookie(client)
    thief = make_client()
    thief.set_cookie(COOKIE, copied)
    assert thief.get("/settings/profile").status_code == 200
    token = page_token(client)
    response = client.post("/signout", data={"csrf_token": token})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(AuthSession.revoked_at)) is not None
    assert b"Sign out" not in client.get("/").data
    # The copied cookie still holds the old session, but the server no longer honours it.
    thief.set_cookie(COOKIE, copied)
    response = thief.get("/settings/profile")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_signout_with_htmx_sends_hx_redirect(auth_client, htmx):
    token = page_token(auth_client)
    response = auth_client.post("/signout", headers={**htmx, "X-CSRFToken": token})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"
    assert auth_client.get("/settings/profile").status_code == 302


def test_signout_without_csrf_token_is_refused(auth_client):
    response = auth_client.post("/signout")
    assert response.status_code == 400
    assert "The form expired or was not sent from DreamDot. Reload and try again." in response.get_data(as_text=True)
    profile = auth_client.get("/settings/profile")
    assert profile.status_code == 200
    assert "Edit your profile" in profile.get_data(as_text=True)
    # The session row is still live and no sign-out was recorded.
    assert db.session.scalar(sa.select(AuthSession.revoked_at)) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "signout")) == 0


def _set_cookie_header(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))


def test_remember_me_makes_a_permanent_cookie(client, user):
    response = signin_form(client, user.username, PASSWORD, remember="y")
    header = _set_cookie_header(response)
    assert "Expires=" in header
    assert "HttpOnly" in header and "SameSite=Lax" in header
    row = db.session.scalar(sa.select(AuthSession))
    assert (row.expires_at - row.created_at).days == 30


def test_without_remember_me_the_cookie_ends_with_the_browser(client, user):
    response = signin_form(client, user.username, PASSWORD)
    header = _set_cookie_header(response)
    assert "Expires=" not in header and "Max-Age" not in header
    row = db.session.scalar(sa.select(AuthSession))
    assert (row.expires_at - row.created_at).total_seconds() == 12 * 3600


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com", "http:/evil.com",
                                    "\\\\evil.com", "/\r\nLocation: https://evil.com"])
def test_signin_refuses_open_redirects(client, user, target):
    page = client.get("/signin", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page
    response = signin_form(client, user.username, PASSWORD, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_signin_returns_to_a_local_next(client, user):
    page = client.get("/settings/profile")
    assert page.status_code == 302
    assert "next=/settings/profile" in page.headers["Location"]
    response = signin_form(client, user.username, PASSWORD, next="/settings/profile")
    assert response.headers["Location"] == "/settings/profile"


def test_login_required_negotiates(client, htmx):
    assert client.get("/settings/profile").status_code == 302
    response = client.get("/settings/profile", headers=htmx)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/signin?next=")
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_signed_in_user_visiting_signup_goes_home(auth_client, htmx):
    for headers in ({}, htmx):
        response = auth_client.get("/signup", headers=headers)
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        assert 'id="signup-form"' not in response.get_data(as_text=True)
    # Still signed in as before, in the one session; no account was made.
    assert b"Sign out" in auth_client.get("/").data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)
                             .where(AuthSession.revoked_at.is_(None))) == 1


def test_the_cookie_serializer_is_made_once_per_secret_and_follows_a_new_one(app, auth_client):
    interface = app.session_interface
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)
    assert b"Sign out" in auth_client.get("/").data
    name = app.config["SESSION_COOKIE_NAME"]
    signed = auth_client.get_cookie(name).value
    old_secret = app.secret_key
    app.secret_key = "another-secret-key-for-this-test"
    try:
        # The cookie signed with the old secret no longer opens a session...
        assert b"Sign out" not in auth_client.get("/").data
        # ...unless the old secret is kept as a fallback.
        app.config["SECRET_KEY_FALLBACKS"] = [old_secret]
        auth_client.set_cookie(name, signed)
        assert b"Sign out" in auth_client.get("/").data
    finally:
        app.secret_key = old_secret
        app.config["SECRET_KEY_FALLBACKS"] = []
