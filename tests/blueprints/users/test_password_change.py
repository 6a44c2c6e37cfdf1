"""/settings/password: the current password, the sign-up rules for the new one, every other
session and API token revoked, an audit row; without and with HTMX."""

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, AuthSession
from app.services.accounts.passwords import verify_password
from tests.conftest import bearer, csrf_token, sign_in
from tests.factories import PASSWORD

NEW = "a fresh and long passphrase 42"


def _post(client, headers=None, **data):
    token = csrf_token(client, "/settings/password")
    return client.post("/settings/password", data={"csrf_token": token, **data}, headers=headers or {})


def _live_sessions(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)))


def test_the_page_renders_full_and_as_fragment(auth_client, htmx):
    page = auth_client.get("/settings/password")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    fragment = auth_client.get("/settings/password", headers=htmx)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and 'id="password-form"' in text


def test_signed_out_visitors_are_sent_to_sign_in(client, htmx):
    assert client.get("/settings/password").status_code == 302
    assert client.get("/settings/password", headers=htmx).headers["HX-Redirect"].startswith("/signin")


def test_change_without_js_revokes_every_other_session_and_token(app, auth_client, make_client):
    user = auth_client.user
    changed_before = user.password_changed_at
    other_browser = make_client()
    sign_in(other_browser, user)
    api = bearer(app, user)
    assert other_browser.get("/api/auth/me").status_code == 200
    assert auth_client.get("/api/auth/me", headers=api).status_code == 200

    response = _post(auth_client, current_password=PASSWORD, new_password=NEW)
    assert response.status_code == 303 and response.headers["Location"] == "/settings/password"

    db.session.expire_all()
    assert verify_password(user.password_hash, NEW)
    assert user.password_changed_at > changed_before
    assert _live_sessions(user) == 1  # this browser only
    assert auth_client.get("/api/auth/me").status_code == 200
    assert other_browser.get("/api/auth/me").status_code == 401
    assert auth_client.get("/api/auth/me", headers=api).status_code == 401
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "password_changed"))
    assert event.user_id == user.id and event.details["sessions_ended"] == 2


def test_change_with_htmx_answers_hx_redirect(auth_client, htmx):
    response = _post(auth_client, htmx, current_password=PASSWORD, new_password=NEW)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/settings/password"


def test_a_wrong_current_password_changes_nothing(auth_client, make_client, htmx):
    user = auth_client.user
    other = make_client()
    sign_in(other, user)
    before = user.password_hash
    response = _post(auth_client, htmx, current_password="not my password at all", new_password=NEW)
    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    db.session.expire_all()
    assert user.password_hash == before and _live_sessions(user) == 2
    assert other.get("/api/auth/me").status_code == 200
    failed = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "password_change_failed"))
    assert failed is not None  # durable: kept although the request was refused


def test_the_new_password_follows_the_signup_rules(auth_client):
    user = auth_client.user
    before = user.password_hash
    for bad, why in [("short", "at least 10"), ("password123", "too common"),
                     (f"my{user.username}secret", "username"), (PASSWORD, "different")]:
        response = _post(auth_client, current_password=PASSWORD, new_password=bad)
        assert response.status_code == 422, bad
        assert why in response.get_data(as_text=True), bad
    db.session.expire_all()
    assert user.password_hash == before


def test_without_a_csrf_token_it_is_refused(auth_client):
    before = auth_client.user.password_hash
    response = auth_client.post("/settings/password", data={"current_password": PASSWORD, "new_password": NEW})
    assert response.status_code == 400
    db.session.expire_all()
    assert auth_client.user.password_hash == before


def test_the_new_password_signs_in_and_the_old_does_not(client, auth_client):
    from tests.conftest import signin_form

    _post(auth_client, current_password=PASSWORD, new_password=NEW)
    old = signin_form(client, auth_client.user.username, PASSWORD)
    assert old.status_code == 422
    assert "That username or email and password do not match an account." in old.get_data(as_text=True)
    assert client.get("/settings/password").status_code == 302  # not signed in
    new = signin_form(client, auth_client.user.username, NEW)
    assert new.status_code == 303 and new.headers["Location"] == "/"
    assert 'id="password-form"' in client.get("/settings/password").get_data(as_text=True)
