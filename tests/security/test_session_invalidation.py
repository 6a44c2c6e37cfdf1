"""Sign-out and password change end sessions on the server: a copy of the old cookie or of
the old token (a stolen one) no longer signs anybody in."""

from __future__ import annotations

from tests.conftest import bearer, csrf_token, sign_in
from tests.factories import PASSWORD


def _replay(app, cookie: str):
    thief = app.test_client()
    thief.set_cookie("dreamdot_session", cookie)
    return thief.get("/api/auth/me")


def _cookie(client) -> str:
    return client.get_cookie("dreamdot_session").value


def test_a_replayed_cookie_is_dead_after_sign_out(app, auth_client):
    stolen = _cookie(auth_client)
    assert _replay(app, stolen).status_code == 200
    token = csrf_token(auth_client, "/")
    assert auth_client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert _replay(app, stolen).status_code == 401
    assert auth_client.get("/api/auth/me").status_code == 401


def test_a_token_is_dead_after_api_sign_out_and_other_sessions_live_on(app, auth_client, user):
    headers = bearer(app, user)
    assert app.test_client().post("/api/auth/signout", headers=headers).status_code == 204
    assert app.test_client().get("/api/auth/me", headers=headers).status_code == 401
    assert auth_client.get("/api/auth/me").status_code == 200  # only that token ended


def test_a_password_change_kills_replayed_cookies_and_tokens_of_other_devices(app, auth_client, user):
    laptop = app.test_client()
    sign_in(laptop, user)
    stolen_cookie, stolen_token = _cookie(laptop), bearer(app, user)
    token = csrf_token(auth_client, "/settings/password")
    response = auth_client.post("/settings/password", data={
        "csrf_token": token, "current_password": PASSWORD, "new_password": "another long passphrase 7"})
    assert response.status_code == 303
    assert _replay(app, stolen_cookie).status_code == 401
    assert app.test_client().get("/api/auth/me", headers=stolen_token).status_code == 401
    assert auth_client.get("/api/auth/me").status_code == 200
