import re

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, User
from tests.conftest import csrf_token

GOOD = {"username": "alice", "email": "Alice@Example.com", "password": "violet-kettle-9921",
        "display_name": "Alice"}


def users_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_signup_page_without_js_creates_account_and_signs_in(client):
    token = csrf_token(client, "/signup")
    response = client.post("/signup", data={**GOOD, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/u/alice"
    user = db.session.scalar(sa.select(User).where(User.username == "alice"))
    assert user.email_key == "alice@example.com"
    assert user.password_hash.startswith("$argon2id$")
    page = client.get("/u/alice")
    assert b"Sign out" in page.data
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "signup" in actions and "signin" in actions


def test_signup_with_htmx_redirects_by_header(client, htmx):
    token = csrf_token(client, "/signup")
    response = client.post("/signup", data=GOOD, headers={**htmx, "X-CSRFToken": token})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/u/alice"


def test_signup_errors_render_the_form_fragment_with_422(client, htmx):
    token = csrf_token(client, "/signup")
    bad = {**GOOD, "password": "password123", "email": "not-an-email"}
    response = client.post("/signup", data=bad, headers={**htmx, "X-CSRFToken": token})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<form id="signup-form"')
    assert "too common" in body and "valid email" in body
    assert users_count() == 0


def test_api_signup_returns_user_and_token(client):
    response = client.post("/api/auth/signup", json=GOOD)
    assert response.status_code == 201
    data = response.get_json()
    assert data["user"]["username"] == "alice"
    assert data["user"]["followers_count"] == 0
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {data['token']}"})
    assert me.status_code == 200
    assert me.get_json()["user"]["id"] == data["user"]["id"]


def test_api_signup_taken_username_or_email_is_409(client, user):
    response = client.post("/api/auth/signup", json={**GOOD, "username": user.username.upper()})
    assert response.status_code == 409
    assert response.get_json()["error"]["fields"]["username"]
    response = client.post("/api/auth/signup", json={**GOOD, "email": user.email.upper()})
    assert response.status_code == 409
    assert "email" in response.get_json()["error"]["fields"]
    assert users_count() == 1


def test_signup_page_errors_without_js_are_a_422_page_and_escaped(client):
    token = csrf_token(client, "/signup")
    bad = {**GOOD, "username": "<script>alert(1)</script>", "csrf_token": token}
    response = client.post("/signup", data=bad)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.startswith("<!doctype html>")
    assert "lowercase letters, digits and underscores" in body
    assert "<script>alert(1)</script>" not in body
    assert users_count() == 0


def test_signup_page_with_a_taken_username_or_email_says_so(client, user):
    token = csrf_token(client, "/signup")
    response = client.post("/signup", data={**GOOD, "username": user.username.upper(), "csrf_token": token})
    assert response.status_code == 422
    assert "That username is taken." in response.get_data(as_text=True)
    response = client.post("/signup", data={**GOOD, "email": user.email.upper(), "csrf_token": token})
    assert "An account with that email already exists." in response.get_data(as_text=True)
    assert users_count() == 1


def test_signup_page_short_password_and_malformed_email(client):
    token = csrf_token(client, "/signup")
    response = client.post("/signup", data={**GOOD, "password": "short", "email": "a@b", "csrf_token": token})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Use at least 10 characters." in body and "valid email" in body
    assert users_count() == 0


def test_every_problem_is_said_at_once_beside_its_field(client, user, htmx):
    token = csrf_token(client, "/signup")
    bad = {"username": user.username, "email": "", "password": "short", "display_name": "x" * 51}
    response = client.post("/signup", data=bad, headers={**htmx, "X-CSRFToken": token})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for field, why in (("username", "That username is taken."), ("email", "Enter a valid email address"),
                       ("password", "Use at least 10 characters."), ("display_name", "At most 50 characters.")):
        assert re.search(rf'<p id="{field}-error" class="error">{re.escape(why)}', body), field
    assert users_count() == 1


def test_the_api_says_a_taken_name_beside_a_weak_password(client, user):
    response = client.post("/api/auth/signup", json={**GOOD, "username": user.username, "password": "short"})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"username": "That username is taken.",
                                                      "password": "Use at least 10 characters."}


def test_suspended_users_are_hidden(client):
    from app.models.base import utcnow
    from tests.factories import UserFactory

    UserFactory(username="gone", display_name="Gone Person", suspended_at=utcnow())
    page = client.get("/u/gone")
    assert page.status_code == 404
    body = page.get_data(as_text=True)
    assert "No such user." in body and "Gone Person" not in body
    api = client.get("/api/users/gone")
    assert api.status_code == 404
    assert api.get_json() == {"error": {"code": "not_found", "message": "No such user."}}
    # The same answer as for a name nobody has; an active user's page is there.
    assert client.get("/api/users/nobody").get_json() == api.get_json()
    UserFactory(username="here", display_name="Here Person")
    assert "Here Person" in client.get("/u/here").get_data(as_text=True)
