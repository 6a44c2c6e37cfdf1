"""Rate limits on sign-in and sign-up, and the client address behind the router."""

import json
import re

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
    page = response.get_data(as_text=True)  # the form again, as typed, saying why and how long
    assert re.search(r"Too many failed sign-ins from this network\. Try again in \d+ (seconds?|minutes?)\.", page)
    assert '<form id="signin-form"' in page and f'value="{user.username}"' in page
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


def signup_body(n: int, password: str = "a long and private passphrase") -> dict:
    return {"username": f"newcomer{n}", "email": f"newcomer{n}@example.com", "password": password}


def users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_signup_counts_accounts_opened_not_failed_attempts(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "2 per minute")
    limiter.reset()
    for n in range(5):  # typos: refused, and free
        refused = client.post("/api/auth/signup", json=signup_body(n, password="short"))
        assert refused.status_code == 400
        assert "Retry-After" not in refused.headers  # only an answer that asks to wait says how long
    for n in range(2):
        assert client.post("/api/auth/signup", json=signup_body(n)).status_code == 201
    limited = client.post("/api/auth/signup", json=signup_body(2))
    assert limited.status_code == 429
    assert limited.get_json()["error"] == {
        "code": "too_many_requests",
        "message": "This network has opened as many new accounts as it may for now. Try again in 1 minute."}
    assert 1 <= int(limited.headers["Retry-After"]) <= 61  # the minute's window, rounded up
    assert users() == 2


def test_signup_attempts_have_a_limit_of_their_own(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP_ATTEMPTS", "3 per minute")
    limiter.reset()
    for n in range(3):
        assert client.post("/api/auth/signup", json={}).status_code == 400
    limited = client.post("/api/auth/signup", json=signup_body(9))
    assert limited.status_code == 429
    assert limited.get_json()["error"]["message"].startswith("Too many sign-up attempts from this network.")
    assert users() == 0


@pytest.mark.parametrize("hx", [False, True], ids=["page", "htmx"])
def test_the_signup_page_over_its_limit_shows_the_form_as_typed_with_why(app, client, monkeypatch, htmx, hx):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "1 per minute")
    limiter.reset()
    token = csrf_token(client, "/signup")
    headers = {**(htmx if hx else {}), "X-CSRFToken": token}
    assert client.post("/signup", data=signup_body(1), headers=headers).status_code in (204, 303)
    other = app.test_client()  # another browser on the same network
    headers["X-CSRFToken"] = csrf_token(other, "/signup")
    response = other.post("/signup", data={**signup_body(2), "display_name": "Second Go"}, headers=headers)
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 61
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="signup-form"') == hx and ("<html" in html) != hx
    assert "This network has opened as many new accounts as it may for now. Try again in 1 minute." in html
    assert 'value="newcomer2"' in html and 'value="Second Go"' in html
    assert "a long and private passphrase" not in html  # a password is never written back
    assert users() == 1


def test_htmx_swaps_a_429(client):
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', client.get("/signin").get_data(as_text=True))
    handling = json.loads(config.group(1))["responseHandling"]
    codes = [rule["code"] for rule in handling]
    assert {"code": "429", "swap": True} in handling and codes.index("429") < codes.index("[45]..")


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
