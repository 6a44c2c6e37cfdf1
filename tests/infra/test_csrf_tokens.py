"""The CSRF token of a session's pages (Flask-WTF's): bound to the session, so a new
sign-in or another session's token is refused and writes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Post
from tests.conftest import csrf_token, sign_in


def posts() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Post))


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
