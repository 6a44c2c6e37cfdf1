"""Sign-out and password change end sessions on the server: a copy of the old cookie or of
the old token (a stolen one) no longer signs anybody in."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuthSession
from tests.conftest import bearer, csrf_token, sign_in
from tests.factories import PASSWORD


def _replay(app, cookie: str):
    thief = app.test_client()
    thief.set_cookie("dreamdot_session", cookie)
    return thief.get("/api/auth/me")


def _cookie(client) -> str:
    return client.get_cookie("dreamdot_session").value


def _is(response, user) -> bool:
    """/api/auth/me answered for `user`."""
    return response.status_code == 200 and response.get_json()["user"]["id"] == user.id


def _is_nobody(response) -> bool:
    return response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def _live_sessions(user) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)))


def test_a_replayed_cookie_is_dead_after_sign_out(app, auth_client):
    stolen = _cookie(auth_client)
    assert _is(_replay(app, stolen), auth_client.user)
    token = csrf_token(auth_client, "/")
    assert auth_client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert _is_nobody(_replay(app, stolen))
    assert _is_nobody(auth_client.get("/api/auth/me"))
    assert _live_sessions(auth_client.user) == 0


def test_a_token_is_dead_after_api_sign_out_and_other_sessions_live_on(app, auth_client, user):
    headers = bearer(app, user)
    assert _live_sessions(user) == 2
    assert app.test_client().post("/api/auth/signout", headers=headers).status_code == 204
    assert _is_nobody(app.test_client().get("/api/auth/me", headers=headers))
    assert _is(auth_client.get("/api/auth/me"), user)  # only that token ended
    assert _live_sessions(user) == 1


def test_a_password_change_kills_replayed_cookies_and_tokens_of_other_devices(app, auth_client, user):
    laptop = app.test_client()
    sign_in(laptop, user)
    stolen_cookie, stolen_token = _cookie(laptop), bearer(app, user)
    assert _is(_replay(app, stolen_cookie), user) and _live_sessions(user) == 3
    token = csrf_token(auth_client, "/settings/password")
    response = auth_client.post("/settings/password", data={
        "csrf_token": token, "current_password": PASSWORD, "new_password": "another long passphrase 7"})
    assert response.status_code == 303
    assert _is_nobody(_replay(app, stolen_cookie))
    assert _is_nobody(app.test_client().get("/api/auth/me", headers=stolen_token))
    assert _is(auth_client.get("/api/auth/me"), user) and _live_sessions(user) == 1
