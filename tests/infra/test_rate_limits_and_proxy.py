"""Rate limits on sign-in and sign-up, and the client address behind the router."""

import pytest
import sqlalchemy as sa

from app.extensions import db, limiter
from app.models import AuditEvent, User
from tests.conftest import csrf_token
from tests.factories import PASSWORD


@pytest.fixture
def five_per_minute(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNIN", "5 per minute")
    limiter.reset()


def test_sixth_failed_page_signin_is_a_429_page(client, user, five_per_minute):
    token = csrf_token(client, "/signin")
    data = {"login": user.username, "password": "wrong-password!", "csrf_token": token}
    for _ in range(5):
        assert client.post("/signin", data=data).status_code == 422
    response = client.post("/signin", data=data)
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Too many requests" in response.get_data(as_text=True)
    # Even the right password waits out the window.
    assert client.post("/signin", data={**data, "password": PASSWORD}).status_code == 429
    assert client.get("/settings/profile").status_code == 302  # and did not sign in


def test_sixth_failed_api_signin_is_a_429_json_error(client, user, five_per_minute):
    body = {"login": user.username, "password": "wrong-password!"}
    for _ in range(5):
        assert client.post("/api/auth/signin", json=body).status_code == 401
    response = client.post("/api/auth/signin", json=body)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def test_successful_signins_do_not_count(client, user, five_per_minute):
    for _ in range(6):
        response = client.post("/api/auth/signin", json={"login": user.username, "password": PASSWORD})
        assert response.status_code == 200 and response.get_json()["user"]["id"] == user.id
    wrong = client.post("/api/auth/signin", json={"login": user.username, "password": "nope-nope-1"})
    assert wrong.status_code == 401
    # Refused for the password, not held back by the limit.
    assert wrong.get_json()["error"]["code"] == "invalid_credentials" and "Retry-After" not in wrong.headers


def test_signup_is_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "2 per minute")
    limiter.reset()
    for _ in range(2):
        refused = client.post("/api/auth/signup", json={})
        assert refused.status_code == 400
        assert "Retry-After" not in refused.headers  # only an answer that asks to wait says how long
    limited = client.post("/api/auth/signup", json={})
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(limited.headers["Retry-After"]) <= 61  # the minute's window, rounded up
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_without_trusted_hops_x_forwarded_for_is_ignored(client, user):
    client.post("/api/auth/signin", json={"login": user.username, "password": "wrong-pass-1"},
                headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert db.session.scalar(sa.select(AuditEvent.ip).where(AuditEvent.action == "signin_failed")) == "10.0.0.1"


def test_one_trusted_hop_takes_the_last_forwarded_address_only(make_app):
    other = make_app(TRUSTED_PROXY_HOPS=1, RATELIMIT_SIGNIN="2 per minute")
    client = other.test_client()
    body = {"login": "nobody", "password": "wrong-pass-1"}

    def attempt(forwarded: str):
        return client.post("/api/auth/signin", json=body, headers={"X-Forwarded-For": forwarded},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"})

    # A client forges a leading entry; the router appends the address it saw.
    assert attempt("6.6.6.6, 203.0.113.7").status_code == 401
    with other.app_context():
        ips = db.session.scalars(sa.select(AuditEvent.ip).where(AuditEvent.action == "signin_failed")).all()
    assert ips == ["203.0.113.7"]
    # Changing the forged part does not give a fresh rate-limit bucket...
    assert attempt("7.7.7.7, 203.0.113.7").status_code == 401
    assert attempt("8.8.8.8, 203.0.113.7").status_code == 429
    # ...while another real client has its own.
    assert attempt("6.6.6.6, 198.51.100.20").status_code == 401


@pytest.mark.redis
def test_rate_limit_counters_live_in_redis(app, client, user, monkeypatch):
    import os

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    import redis

    assert app.config["RATELIMIT_STORAGE_URI"] == url
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNIN", "1 per minute")
    limiter.reset()
    body = {"login": user.username, "password": "wrong-pass-11"}
    assert client.post("/api/auth/signin", json=body).status_code == 401
    keys = redis.Redis.from_url(url).keys(f"*{app.config['RATELIMIT_KEY_PREFIX']}*")
    assert keys, "no rate-limit counter in Redis"
    assert client.post("/api/auth/signin", json=body).status_code == 429
