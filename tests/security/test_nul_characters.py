"""A NUL character anywhere in a request's text is bad input (400 invalid_text), on every
database: PostgreSQL's driver refuses one outright, which the form fuzzer found as a 500."""

from __future__ import annotations

from app.extensions import db
from app.models.social import Comment, Post
from tests.conftest import bearer, csrf_token
from tests.factories import PostFactory


def test_a_form_json_query_or_path_with_nul_is_refused_and_nothing_is_written(app, auth_client, htmx):
    post = PostFactory(author_id=auth_client.user.id)
    db.session.commit()
    token = csrf_token(auth_client, f"/posts/{post.id}")
    for headers in ({}, htmx):
        response = auth_client.post(f"/posts/{post.id}/comments", data={"body": "a\x00b", "csrf_token": token},
                                    headers=headers)
        assert response.status_code == 400
    api = bearer(app, auth_client.user)
    response = auth_client.post("/api/posts/create", json={"body": "x\x00"}, headers=api)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_text"
    response = auth_client.post("/api/social/comments", json={"post_id": post.id, "body": {"k\x00": 1}}, headers=api)
    assert response.status_code == 400
    assert auth_client.get("/api/posts/explore?cursor=%00").status_code == 400
    assert auth_client.get("/api/users/a%00b").status_code == 400
    assert auth_client.get("/u/a%00b").status_code == 400
    assert db.session.query(Comment).count() == 0 and db.session.query(Post).count() == 1


def test_ordinary_text_passes(auth_client):
    token = csrf_token(auth_client, "/home")
    response = auth_client.post("/posts", data={"body": "Hello \\x00 is only text", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/home"
    assert db.session.scalars(db.select(Post.body)).all() == ["Hello \\x00 is only text"]
