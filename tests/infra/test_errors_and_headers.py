"""Error pages and JSON errors, and the security headers every response carries."""

import re

import pytest

from app.extensions import limiter
from app.services.errors import NotAllowed
from tests.conftest import bearer, csrf_token
from tests.factories import PASSWORD

MB = 1024 * 1024


def assert_page(response, status: int, text: str):
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert text in body
    assert "Traceback" not in body and 'File "' not in body


def assert_json(response, status: int, code: str):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_400_page_and_json(auth_client):
    assert_page(auth_client.post("/signout", data={"csrf_token": "x"}), 400, "That did not work")
    assert_json(auth_client.patch("/api/users/me", json={"bio": "x"}), 400, "csrf_failed")


def test_403_page_and_json(client, monkeypatch, user):
    def refuse(*_a, **_k):
        raise NotAllowed("You may not see this.")

    monkeypatch.setattr("app.services.accounts.profile_view", refuse)
    response = client.get(f"/u/{user.username}")
    assert_page(response, 403, "You may not see this.")
    assert_json(client.get(f"/api/users/{user.username}"), 403, "forbidden")


def test_404_page_and_json(client, htmx):
    assert_page(client.get("/no/such/page"), 404, "Not found")
    assert_json(client.get("/api/no/such/thing"), 404, "not_found")
    # HTMX gets the fragment, not a whole page inside its target.
    fragment = client.get("/no/such/page", headers=htmx).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="error-404"')


def test_405_json(client):
    assert_json(client.delete("/api/auth/me"), 405, "method_not_allowed")


def test_413_page_and_json(app, auth_client):
    token = csrf_token(auth_client, "/settings/profile")
    response = auth_client.post("/settings/profile", data=b"x", headers={"X-CSRFToken": token},
                                content_type="multipart/form-data; boundary=x",
                                environ_overrides={"CONTENT_LENGTH": str(app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert_page(response, 413, "That upload is too large.")
    response = auth_client.patch("/api/users/me", data=b"x", headers=bearer(app, auth_client.user),
                                 content_type="multipart/form-data; boundary=x",
                                 environ_overrides={"CONTENT_LENGTH": str(30 * MB)})
    assert_json(response, 413, "too_large")


def test_429_page_and_json(app, client, monkeypatch, user):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNIN", "1 per minute")
    limiter.reset()
    body = {"login": user.username, "password": "wrong-pass-11"}
    client.post("/api/auth/signin", json=body)
    assert_json(client.post("/api/auth/signin", json=body), 429, "too_many_requests")
    token = csrf_token(client, "/signin")
    # The sign-in page answers with its form, saying why (app/web/limits.py).
    assert_page(client.post("/signin", data={**body, "csrf_token": token}), 429, "Too many failed sign-ins from")


def test_500_page_and_json_without_traceback(auth_client, monkeypatch, caplog):
    def boom(*_a, **_k):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("app.blueprints.main.routes.home_page", boom)
    response = auth_client.get("/")
    assert_page(response, 500, "Something went wrong on our side")
    assert "secret internal detail" not in response.get_data(as_text=True)
    monkeypatch.setattr("app.blueprints.auth.api.get_balance", boom)
    response = auth_client.get("/api/auth/me")
    assert_json(response, 500, "server_error")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "secret internal detail" in caplog.text  # logged for the operators


def test_a_store_lost_at_the_requests_commit_answers_503(auth_client, monkeypatch):
    """The request's one commit runs after the view (after_request), where error handlers do
    not reach: a database gone at that moment is the same 503 as one gone earlier."""
    import sqlalchemy as sa

    from app.extensions import db

    def gone(*_a, **_k):
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(db.session, "commit", gone)
    response = auth_client.get("/api/auth/me")
    assert_json(response, 503, "unavailable")
    assert response.headers["Retry-After"]
    assert_page(auth_client.get("/"), 503, "briefly unavailable")


CSP_REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def responses(app, client, auth_client):
    token = csrf_token(client, "/signin")
    yield client.get("/")
    yield client.get("/signin")
    yield client.get("/signup")
    yield client.get("/u/nobody")
    yield client.get("/static/css/app.css")
    yield client.get("/healthz")
    yield client.get("/api/openapi.json")
    yield client.get("/api/auth/me")
    yield client.post("/signin", data={"login": "x", "password": "y", "csrf_token": token})
    yield client.post("/api/auth/signin", json={"login": "x", "password": "y"})
    yield auth_client.get(f"/u/{auth_client.user.username}")
    yield auth_client.get("/settings/profile", headers={"HX-Request": "true"})


def test_security_headers_on_every_response(app, client, auth_client):
    for response in responses(app, client, auth_client):
        policy = csp(response)
        for directive, value in CSP_REQUIRED.items():
            assert policy[directive] == value, (response.request.path, directive)
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers  # development and tests
        assert "HX-Request" in response.headers.get("Vary", "")
        response.close()


def test_api_responses_are_not_cached(app, client, user):
    response = client.get("/api/auth/me", headers=bearer(app, user))
    assert response.headers["Cache-Control"] == "no-store"


def test_a_views_own_security_header_is_kept_and_not_doubled(app):
    from flask import Response

    from app.web.security import set_security_headers

    with app.test_request_context("/items/1/download"):
        response = set_security_headers(Response("x", headers={
            "Content-Security-Policy": "default-src 'none'; sandbox", "x-frame-options": "SAMEORIGIN"}))
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'; sandbox"]
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]


def test_the_headers_follow_the_configuration(app, client):
    app.config.update(HSTS=True, IMAGEKIT_URL_ENDPOINT="https://ik.example.test/dd/",
                      STRIPE_SECRET_KEY="sk_test_headers")
    response = client.get("/signin")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    policy = csp(response)
    assert policy["img-src"] == "'self' data: blob: https://ik.example.test/dd"
    assert policy["form-action"] == "'self' https://checkout.stripe.com"
    app.config.update(HSTS=False, IMAGEKIT_URL_ENDPOINT=None, STRIPE_SECRET_KEY=None)
    response = client.get("/signin")
    assert "Strict-Transport-Security" not in response.headers
    assert csp(response)["img-src"] == "'self' data: blob:"


def test_pages_have_no_inline_scripts_or_styles(client, auth_client):
    for response in (client.get("/"), client.get("/signin"), client.get("/signup"),
                     auth_client.get("/settings/profile"), auth_client.get(f"/u/{auth_client.user.username}")):
        body = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
        assert " style=" not in body and "<style" not in body
        assert not re.search(r"\son[a-z]+=", body)


@pytest.mark.parametrize("path", ["/", "/signin", "/signup"])
def test_pages_carry_the_csrf_token_for_htmx_and_the_vendored_htmx(client, path):
    body = client.get(path).get_data(as_text=True)
    assert '<body hx-headers=\'{"X-CSRFToken": "' in body
    assert "/static/vendor/htmx-2.0.11.min.js" in body
    assert "/static/vendor/htmx-ext-sse-2.2.4.min.js" in body
    assert 'class="skip-link" href="#main"' in body


def test_login_failures_do_not_leak_which_part_was_wrong(client, user):
    token = csrf_token(client, "/signin")
    wrong = client.post("/signin", data={"login": user.username, "password": "bad-password-1",
                                         "csrf_token": token}).get_data(as_text=True)
    unknown = client.post("/signin", data={"login": "ghost", "password": PASSWORD,
                                           "csrf_token": token}).get_data(as_text=True)
    # The CSRF token is signed with the time in seconds: two answers a second apart differ
    # there, and only there.
    same_token = lambda body: re.sub(r'(X-CSRFToken": "|name="csrf_token"[^>]*?value=")[^"]+', r"\1TOKEN", body)  # noqa: E731
    assert same_token(wrong.replace(user.username, "ghost")) == same_token(unknown)
