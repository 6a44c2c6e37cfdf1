"""The JSON auth API: bearer tokens, CSRF for cookie calls, errors."""

import time

import sqlalchemy as sa

from app.extensions import db
from app.models import AuthSession, User
from app.models.base import utcnow
from tests.conftest import bearer, sign_in
from tests.factories import PASSWORD, UserFactory

GOOD = {"username": "alice", "email": "alice@example.com", "password": "violet-kettle-9921"}


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
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    later = int(time.time()) + app.config["API_TOKEN_TTL_SECONDS"] + 60
    monkeypatch.setattr("itsdangerous.timed.TimestampSigner.get_timestamp", lambda self: later)
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_token_whose_session_row_expired_is_401(app, client, user):
    headers = bearer(app, user)
    db.session.execute(sa.update(AuthSession).values(expires_at=utcnow()))
    db.session.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_tampered_token_is_401(app, client, user):
    token = bearer(app, user)["Authorization"].split()[1]
    payload, stamp, signature = token.rsplit(".", 2)
    forged = f"{payload}.{stamp}.{signature[::-1]}"
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_api_signout_revokes_the_token(app, client, user):
    headers = bearer(app, user)
    other = bearer(app, user)
    response = client.post("/api/auth/signout", headers=headers)
    assert response.status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert client.get("/api/auth/me", headers=other).status_code == 200  # only this token


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


def test_cookie_signout_through_the_api_needs_csrf(app, client, user):
    sign_in(client, user)
    assert client.post("/api/auth/signout").status_code == 400
    assert client.get("/api/auth/me").status_code == 200


def test_forged_csrf_on_page_forms_writes_nothing(client):
    client.get("/signup")
    response = client.post("/signup", data={**GOOD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert "expired or was not sent from DreamDot" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
