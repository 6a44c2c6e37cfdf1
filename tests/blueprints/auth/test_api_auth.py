"""The JSON auth API: bearer tokens, CSRF for cookie calls, errors."""

import time

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, AuthSession, User
from app.models.base import utcnow
from tests.conftest import bearer, sign_in
from tests.factories import PASSWORD, UserFactory

GOOD = {"username": "alice", "email": "alice@example.com", "password": "violet-kettle-9921"}
UNAUTHORIZED = {"code": "unauthorized", "message": "Sign in to do that."}
CSRF_FAILED = {"code": "csrf_failed", "message": "The form expired or was not sent from DreamDot. Reload and try again."}


def live_sessions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)
                             .where(AuthSession.revoked_at.is_(None)))


def signout_events() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "signout"))


def test_api_signin_by_username_or_email_returns_token(client, user):
    for login in (user.username, user.email.upper()):
        response = client.post("/api/auth/signin", json={"login": login, "password": PASSWORD})
        assert response.status_code == 200
        data = response.get_json()
        assert data["user"]["username"] == user.username
        assert set(data["user"]) >= {"id", "username", "display_name", "bio", "avatar_url", "banner_url",
                                     "created_at", "followers_count", "following_count"}
        me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {data['token']}"})
        assert me.status_code == 200
        assert set(me.get_json()["balance"]) >= {"credit_cents", "earnings_cents", "total_cents"}


def test_api_signin_failure_is_401_invalid_credentials(client, user):
    for login, password in ((user.username, "wrong-password!"), ("nobody", PASSWORD)):
        response = client.post("/api/auth/signin", json={"login": login, "password": password})
        assert response.status_code == 401
        error = response.get_json()["error"]
        assert error["code"] == "invalid_credentials"
        assert error["message"] == "That username or email and password do not match an account."


def test_api_signin_of_suspended_user_is_403(client):
    UserFactory(username="sus", suspended_at=utcnow())
    response = client.post("/api/auth/signin", json={"login": "sus", "password": PASSWORD})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "suspended"


def test_api_signup_bad_input_is_400_with_fields_and_nothing_written(client):
    bad = {"username": "<script>x</script>", "email": "nope", "password": "password123"}
    response = client.post("/api/auth/signup", json=bad)
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"username", "email", "password"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert client.post("/api/auth/signup", data="not json", content_type="application/json").status_code == 400
    assert client.post("/api/auth/signup", json=["a", "list"]).status_code == 400
    assert client.post("/api/auth/signup", json={**GOOD, "password": 12345678901}).status_code == 400


def test_missing_token_is_401(client):
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer not-a-token"}):
        response = client.get("/api/auth/me", headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_expired_token_is_401(app, client, user, monkeypatch):
    headers = bearer(app, user)
    fresh = client.get("/api/auth/me", headers=headers)
    assert fresh.status_code == 200
    assert fresh.get_json()["user"]["username"] == user.username
    later = int(time.time()) + app.config["API_TOKEN_TTL_SECONDS"] + 60
    monkeypatch.setattr("itsdangerous.timed.TimestampSigner.get_timestamp", lambda self: later)
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": UNAUTHORIZED}
    # The token's own age refuses it: its session row is still live.
    assert live_sessions() == 1


def test_token_whose_session_row_expired_is_401(app, client, user):
    headers = bearer(app, user)
    assert client.get("/api/auth/me", headers=headers).get_json()["user"]["username"] == user.username
    db.session.execute(sa.update(AuthSession).values(expires_at=utcnow()))
    db.session.commit()
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": UNAUTHORIZED}
    # Refused for the row's expiry alone: the row is neither revoked nor extended.
    row = db.session.scalar(sa.select(AuthSession))
    db.session.refresh(row)
    assert row.revoked_at is None and row.expires_at <= utcnow()


def test_tampered_token_is_401(app, client, user):
    token = bearer(app, user)["Authorization"].split()[1]
    payload, stamp, signature = token.rsplit(".", 2)
    forged = f"{payload}.{stamp}.{signature[::-1]}"
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.get_json() == {"error": UNAUTHORIZED}
    # The genuine token it was made from still works: nothing was revoked.
    assert live_sessions() == 1
    genuine = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert genuine.get_json()["user"]["username"] == user.username


def test_api_signout_revokes_the_token(app, client, user):
    headers = bearer(app, user)
    other = bearer(app, user)
    response = client.post("/api/auth/signout", headers=headers)
    assert response.status_code == 204
    assert response.get_data() == b""
    refused = client.get("/api/auth/me", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json() == {"error": UNAUTHORIZED}
    kept = client.get("/api/auth/me", headers=other)
    assert kept.status_code == 200  # only this token
    assert kept.get_json()["user"]["username"] == user.username
    # On the server: this token's row revoked, the other's live, the sign-out audited.
    db.session.expire_all()
    rows = db.session.scalars(sa.select(AuthSession)).all()
    assert len(rows) == 2 and all(row.kind == "api" and row.user_id == user.id for row in rows)
    assert sorted(row.revoked_at is None for row in rows) == [False, True]
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "signout")).all()
    assert event.user_id == user.id


def test_bearer_request_ignores_the_cookie_session(app, auth_client):
    bob = UserFactory(username="bob")
    response = auth_client.get("/api/auth/me", headers=bearer(app, bob))
    assert response.get_json()["user"]["username"] == "bob"
    assert "Set-Cookie" not in response.headers
    # A bad token does not fall back to the valid cookie riding along.
    response = auth_client.get("/api/auth/me", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401


def test_bearer_write_needs_no_csrf_token(app, auth_client):
    response = auth_client.patch("/api/users/me", json={"bio": "by token"},
                                 headers=bearer(app, auth_client.user))
    assert response.status_code == 200
    assert db.session.get(User, auth_client.user.id).bio == "by token"


def test_cookie_api_write_without_or_with_forged_csrf_is_refused(auth_client):
    for headers in ({}, {"X-CSRFToken": "forged"}, {"X-CSRFToken": "ImFiYyI.Z1.forged"}):
        response = auth_client.patch("/api/users/me", json={"bio": "forged"}, headers=headers)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "csrf_failed"
    db.session.expire_all()
    assert db.session.get(User, auth_client.user.id).bio == ""


def test_cookie_api_write_with_the_pages_csrf_token_works(auth_client):
    from tests.conftest import csrf_token

    token = csrf_token(auth_client, "/")
    response = auth_client.patch("/api/users/me", json={"bio": "by cookie"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json()["user"]["bio"] == "by cookie"
    db.session.expire_all()
    assert db.session.get(User, auth_client.user.id).bio == "by cookie"


def test_cookie_signout_through_the_api_needs_csrf(app, client, user):
    sign_in(client, user)
    response = client.post("/api/auth/signout")
    assert response.status_code == 400
    assert response.get_json() == {"error": CSRF_FAILED}
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.get_json()["user"]["username"] == user.username
    # Nothing was ended: the session row is live and no sign-out was recorded.
    assert live_sessions() == 1
    assert signout_events() == 0


def test_forged_csrf_on_page_forms_writes_nothing(client):
    client.get("/signup")
    response = client.post("/signup", data={**GOOD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert "expired or was not sent from DreamDot" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
