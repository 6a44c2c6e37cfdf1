"""The CSRF token of a session's pages: a token signed in the last minute is given again
(app/web/security.py, csrf_token), and every token given is one Flask-WTF accepts."""

from __future__ import annotations

import time

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Post
from app.web import security
from tests.conftest import csrf_token, sign_in


def posts() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Post))


def test_a_sessions_pages_within_a_minute_carry_the_same_token_and_it_works(auth_client, monkeypatch):
    csrf_token(auth_client, "/home")  # the session's first page makes its secret
    first = csrf_token(auth_client, "/home")
    later = time.time() + security.CSRF_TOKEN_REUSE_SECONDS - 10  # a token signed now would differ
    monkeypatch.setattr(time, "time", lambda: later)
    assert csrf_token(auth_client, "/notifications") == first  # the token drawn first by the layout
    assert csrf_token(auth_client, "/home") == first  # first by the post form
    response = auth_client.post("/posts", data={"body": "with the reused token", "csrf_token": first})
    assert response.status_code in (302, 303)
    assert posts() == 1


def test_after_a_minute_a_new_token_is_signed_and_both_are_accepted(auth_client, monkeypatch):
    csrf_token(auth_client, "/home")
    first = csrf_token(auth_client, "/home")
    later = time.time() + security.CSRF_TOKEN_REUSE_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    second = csrf_token(auth_client, "/home")
    assert second != first
    assert csrf_token(auth_client, "/home") == second
    for n, token in enumerate((first, second)):
        response = auth_client.post("/posts", data={"body": f"post {n}", "csrf_token": token})
        assert response.status_code in (302, 303)
    assert posts() == 2


def test_signing_in_again_gives_a_new_token_and_the_old_one_is_refused(app, auth_client, user):
    first = csrf_token(auth_client, "/home")
    assert auth_client.post("/signout", data={"csrf_token": first}).status_code == 303
    sign_in(auth_client, user)
    fresh = csrf_token(auth_client, "/home")
    assert fresh != first
    response = auth_client.post("/posts", data={"body": "with the old token", "csrf_token": first})
    assert response.status_code == 400
    assert posts() == 0
    response = auth_client.post("/posts", data={"body": "with the new token", "csrf_token": fresh})
    assert response.status_code in (302, 303)
    assert posts() == 1


def test_two_sessions_never_share_a_token(app, user, make_client):
    one, two = make_client(), make_client()
    sign_in(one, user)
    sign_in(two, user)
    token_one, token_two = csrf_token(one, "/home"), csrf_token(two, "/home")
    assert token_one != token_two
    response = two.post("/posts", data={"body": "with the other session's token", "csrf_token": token_one})
    assert response.status_code == 400
    assert posts() == 0


def test_a_first_visit_is_not_remembered_a_returning_one_is(app, client):
    remembered = app.extensions["dreamdot.csrf_tokens"]
    remembered.clear()
    first = csrf_token(client, "/")  # no session yet: its secret is made now
    assert remembered == {}
    again = csrf_token(client, "/")
    assert len(remembered) == 1
    assert [token for _, token in remembered.values()] == [again]
    assert first  # both are tokens of the same session secret
