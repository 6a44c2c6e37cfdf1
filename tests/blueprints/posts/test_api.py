import io

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Comment, Follow, Like, Post
from app.openapi import build_spec
from tests.conftest import bearer
from tests.factories import PostFactory, UserFactory, block, follow, make_image

POST_KEYS = {"id", "author", "body", "image_urls", "created_at", "like_count", "comment_count", "liked_by_me"}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_json_and_multipart(app, client):
    me = UserFactory()
    auth = bearer(app, me)
    response = client.post("/api/posts/create", json={"body": "Hi @nobody"}, headers=auth)
    assert response.status_code == 201
    post = response.get_json()["post"]
    assert POST_KEYS <= set(post) and post["author"]["username"] == me.username and post["liked_by_me"] is False
    data = {"body": "pics", "images": [(io.BytesIO(make_image()), "a.png"), (io.BytesIO(make_image("JPEG")), "b.jpg")],
            "alt_texts": ["first", "second"]}
    response = client.post("/api/posts/create", data=data, headers=auth, content_type="multipart/form-data")
    assert response.status_code == 201
    post = response.get_json()["post"]
    assert len(post["image_urls"]) == 2 and [i["alt"] for i in post["images"]] == ["first", "second"]


def test_create_bad_input_is_a_clear_error_and_nothing_written(app, client):
    auth = bearer(app, UserFactory())
    for payload in ({"body": ""}, {"body": "x" * 5001}, {}, {"body": 5}):
        response = client.post("/api/posts/create", json=payload, headers=auth)
        assert response.status_code == 400
        assert response.get_json()["error"]["fields"]["body"]
    five = {"body": "x", "images": [(io.BytesIO(make_image()), f"{i}.png") for i in range(5)]}
    response = client.post("/api/posts/create", data=five, headers=auth, content_type="multipart/form-data")
    assert response.status_code == 400 and "images" in response.get_json()["error"]["fields"]
    text = {"body": "x", "images": [(io.BytesIO(b"%PDF-1.4"), "a.png")]}
    response = client.post("/api/posts/create", data=text, headers=auth, content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_image"
    assert count(Post) == 0
    anonymous = client.post("/api/posts/create", json={"body": "x"})
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "unauthorized" and count(Post) == 0


def test_feed_pages_with_cursor_and_tampered_cursor(app, client):
    me, friend = UserFactory(), UserFactory()
    follow(me, friend)
    for _ in range(5):
        PostFactory(author_id=friend.id)
    auth = bearer(app, me)
    first = client.get("/api/posts/feed?limit=3", headers=auth).get_json()
    assert len(first["posts"]) == 3 and first["next_cursor"]
    assert first["posts"][0]["author"]["followers_count"] == 1
    second = client.get(f"/api/posts/feed?limit=3&cursor={first['next_cursor']}", headers=auth).get_json()
    assert len(second["posts"]) == 2 and second["next_cursor"] is None
    bad = client.get(f"/api/posts/feed?cursor={first['next_cursor']}x", headers=auth)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_cursor"
    too_many = client.get("/api/posts/feed?limit=500", headers=auth)
    assert too_many.status_code == 400 and list(too_many.get_json()["error"]["fields"]) == ["limit"]
    anonymous = client.get("/api/posts/feed")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"


def test_get_and_delete_post(app, client):
    author, other = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    got = client.get(f"/api/posts/{post.id}").get_json()["post"]
    assert got["id"] == post.id and POST_KEYS <= set(got)
    refused = client.delete(f"/api/posts/{post.id}", headers=bearer(app, other))
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == "Only the author can delete this post." and count(Post) == 1
    assert client.delete(f"/api/posts/{post.id}", headers=bearer(app, author)).status_code == 204
    assert count(Post) == 0
    assert client.get(f"/api/posts/{post.id}").status_code == 404
    assert client.get("/api/posts/99999999999999999999").status_code == 404


def test_likes_api_is_idempotent_and_blocked_users_cannot_like(app, client):
    author, fan, foe = UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    auth = bearer(app, fan)
    for _ in range(2):
        assert client.post("/api/social/likes", json={"post_id": post.id}, headers=auth).get_json() == {
            "liked": True, "like_count": 1}
    assert client.get(f"/api/posts/{post.id}", headers=auth).get_json()["post"]["liked_by_me"] is True
    assert client.delete("/api/social/likes", json={"post_id": post.id}, headers=auth).get_json() == {
        "liked": False, "like_count": 0}
    assert client.delete(f"/api/social/likes?post_id={post.id}", headers=auth).get_json()["like_count"] == 0
    block(author, foe)
    response = client.post("/api/social/likes", json={"post_id": post.id}, headers=bearer(app, foe))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert client.post("/api/social/likes", json={"post_id": "x"}, headers=auth).status_code == 400
    assert count(Like) == 0


def test_follow_block_mute_api(app, client):
    me, other = UserFactory(), UserFactory()
    auth = bearer(app, me)
    assert client.post("/api/social/follow", json={"username": other.username}, headers=auth).get_json() == {"following": True}
    assert client.get(f"/api/users/{other.username}", headers=auth).get_json()["is_following"] is True
    response = client.post("/api/social/follow", json={"user_id": me.id}, headers=auth)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "cannot_follow_self"
    assert client.delete("/api/social/follow", json={"user_id": other.id}, headers=auth).get_json() == {"following": False}
    assert client.post("/api/social/mute", json={"user_id": other.id}, headers=auth).get_json() == {"muted": True}
    assert client.delete("/api/social/mute", json={"user_id": other.id}, headers=auth).get_json() == {"muted": False}
    follow(other, me)
    assert client.post("/api/social/block", json={"user_id": other.id}, headers=auth).get_json() == {"blocked": True}
    assert count(Follow) == 0
    assert client.get(f"/api/users/{other.username}", headers=auth).status_code == 404
    assert client.get(f"/api/users/{me.username}", headers=bearer(app, other)).status_code == 404
    response = client.post("/api/social/follow", json={"user_id": me.id}, headers=bearer(app, other))
    assert response.status_code == 404 and count(Follow) == 0
    assert client.delete("/api/social/block", json={"user_id": other.id}, headers=auth).get_json() == {"blocked": False}
    assert client.get(f"/api/users/{other.username}", headers=auth).get_json()["is_blocked"] is False
    nobody = client.post("/api/social/follow", json={}, headers=auth)
    assert nobody.status_code == 400
    assert nobody.get_json()["error"]["fields"] == {"user_id": "Required."} and count(Follow) == 0


def test_comments_api(app, client):
    author, reader, foe = UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    auth = bearer(app, reader)
    response = client.post("/api/social/comments", json={"post_id": post.id, "body": "Lovely"}, headers=auth)
    assert response.status_code == 201
    comment = response.get_json()["comment"]
    assert set(comment) >= {"id", "post_id", "author", "body", "created_at"}
    listing = client.get(f"/api/social/comments?post_id={post.id}").get_json()
    assert [c["id"] for c in listing["comments"]] == [comment["id"]] and listing["next_cursor"] is None
    too_long = client.post("/api/social/comments", json={"post_id": post.id, "body": "x" * 2001}, headers=auth)
    assert too_long.status_code == 400
    assert list(too_long.get_json()["error"]["fields"]) == ["body"] and count(Comment) == 1
    block(author, foe)
    response = client.post("/api/social/comments", json={"post_id": post.id, "body": "hi"}, headers=bearer(app, foe))
    assert response.status_code == 404
    # The blocked reader hears what anyone hears of a post that does not exist.
    assert response.get_json()["error"] == {"code": "not_found", "message": "No such post."} and count(Comment) == 1
    hidden = client.get(f"/api/social/comments?post_id={post.id}", headers=bearer(app, foe))
    assert hidden.status_code == 404 and "comments" not in hidden.get_json()
    assert client.delete("/api/social/comments", json={"comment_id": comment["id"]},
                         headers=bearer(app, UserFactory())).status_code == 403
    assert count(Comment) == 1
    assert client.delete("/api/social/comments", json={"comment_id": comment["id"]},
                         headers=bearer(app, author)).status_code == 204
    assert count(Comment) == 0
    missing = client.post("/api/social/comments", json={"post_id": 424242, "body": "hi"}, headers=auth)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found" and count(Comment) == 0


def test_every_social_api_route_is_in_the_openapi_document(app):
    spec = build_spec()["paths"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/posts", "/api/social")):
            path = rule.rule.replace("<int:post_id>", "{id}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in spec[path], (path, method)
