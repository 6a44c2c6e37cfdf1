"""Error pages need no store. The 503 page once looked up the signed-in user (Flask-Login's
context processor, for the navigation) while the database was the reason for the page, and a
signed-in visitor got a bare "Internal Server Error" instead. The error pages (404, 500, 503)
draw from their template alone: no statement, whether the database is up or cut."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import HTMX, bearer, csrf_token, sign_in
from tests.factories import PASSWORD, UserFactory, make_item
from tests.support.statements import Statements

UNAVAILABLE = "DreamDot is briefly unavailable. Try again in a moment."


@pytest.fixture
def cut_app(proxied_pg_app):
    """An app whose binds reach PostgreSQL through the proxy (cut it to lose the database)."""
    return proxied_pg_app


def assert_designed_page(response, status: int, text: str) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == status, (status, html[:300])
    assert response.mimetype == "text/html"
    assert "<html" in html and text in html
    assert 'href="/static/css/app.css' in html and 'class="site-header"' in html
    assert '<a class="button" href="/">Go to the home page</a>' in html
    assert "Traceback" not in html and "psycopg" not in html and "Internal Server Error" not in html


def test_a_signed_in_page_while_postgres_is_down_is_the_503_page(app, cut_app, pg_proxy):
    user = UserFactory()
    item = make_item(UserFactory(), price_cents=1000)
    client = cut_app.test_client()
    sign_in(client, user)
    assert client.get("/").status_code == 200  # signed in: the page draws the user's navigation
    assert user.username in client.get("/").get_data(as_text=True)

    pg_proxy.cut()
    for path in ("/", f"/items/{item.id}", "/notifications", "/wallet", "/explore"):
        response = client.get(path)
        assert_designed_page(response, 503, "briefly unavailable")
        assert int(response.headers["Retry-After"]) > 0
        assert user.username not in response.get_data(as_text=True)  # nothing of the user: no lookup
    fragment = client.get("/", headers=HTMX)
    assert fragment.status_code == 503 and "<html" not in fragment.get_data(as_text=True)
    assert "briefly unavailable" in fragment.get_data(as_text=True)
    api = client.get("/api/auth/me")  # the same cookie on the JSON API
    assert api.status_code == 503 and int(api.headers["Retry-After"]) > 0
    assert api.json == {"error": {"code": "unavailable", "message": UNAVAILABLE}}
    assert_designed_page(client.get("/no-such-page"), 404, "There is nothing here.")

    pg_proxy.restore()
    assert user.username in client.get("/").get_data(as_text=True)


def test_a_bearer_request_while_postgres_is_down_is_the_json_503(app, cut_app, pg_proxy):
    headers = bearer(app, UserFactory())
    client = cut_app.test_client()
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    pg_proxy.cut()
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert response.json == {"error": {"code": "unavailable", "message": UNAVAILABLE}}


def test_sign_up_while_postgres_is_down_answers_503_with_retry_after(app, cut_app, pg_proxy):
    """Sign-up has no 503 of its own: a lost database answers the outage's 503 page or JSON
    with Retry-After, and no account is made."""
    client = cut_app.test_client()
    token = csrf_token(client, "/signup")
    form = {"username": "newcomer", "email": "new@example.com", "password": PASSWORD,
            "csrf_token": token}
    pg_proxy.cut()
    page = client.post("/signup", data=form)
    assert_designed_page(page, 503, "briefly unavailable")
    api = cut_app.test_client().post("/api/auth/signup", json={
        "username": "newcomer2", "email": "new2@example.com", "password": PASSWORD})
    assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"
    # The outage's short wait, not the sign-up limit's hour-long window.
    assert page.headers["Retry-After"] == "5" and api.headers["Retry-After"] == "5"
    pg_proxy.restore()
    from app.models import User

    with cut_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
            User.username.in_(["newcomer", "newcomer2"]))) == 0
        db.session.remove()


def _broken_view(exc: Exception):
    def view(*_a, **_k):
        raise exc
    return view


@pytest.mark.parametrize("status, raised, text", [
    (500, RuntimeError("boom"), "Something went wrong on our side"),
    (503, sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")), "briefly unavailable"),
])
def test_error_pages_run_no_statement_for_a_signed_in_user(app, auth_client, monkeypatch, status, raised, text):
    """With the user signed in (so any lookup of theirs would be a statement), drawing a 404,
    a 500 or a 503 page, full or the HTMX fragment, runs no statement on any engine."""
    # /healthz fails at its first call, before any statement of its own (`/` reads the feed).
    monkeypatch.setattr("app.blueprints.main.routes.check_health", _broken_view(raised))
    db.session.remove()
    with Statements() as seen:
        assert_designed_page(auth_client.get("/no-such-page"), 404, "There is nothing here.")
        assert_designed_page(auth_client.get("/healthz"), status, text)
        assert auth_client.get("/healthz", headers=HTMX).status_code == status
    assert seen.statements == []


def test_every_error_page_draws_with_the_database_cut(app, cut_app, pg_proxy, monkeypatch):
    """No database at all (the proxy refuses every connection): a signed-in visitor's 404,
    500 and 503 pages are still DreamDot's pages, and the templates render on their own."""
    from app.web.errors import render_error_page

    client = cut_app.test_client()
    sign_in(client, UserFactory())
    pg_proxy.cut()
    assert_designed_page(client.get("/no-such-page"), 404, "There is nothing here.")
    monkeypatch.setattr("app.blueprints.main.routes.check_health", _broken_view(RuntimeError("boom")))
    assert_designed_page(client.get("/healthz"), 500, "Something went wrong on our side")
    monkeypatch.undo()
    assert_designed_page(client.get("/"), 503, "briefly unavailable")
    with cut_app.test_request_context("/"):
        for status, message in ((404, "There is nothing here."), (503, UNAVAILABLE)):
            html = render_error_page("errors/error.html", status=status, message=message)
            assert message in html and '<a class="button" href="/">Go to the home page</a>' in html
            assert message in render_error_page("errors/_error.html", status=status, message=message)
