import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Comment, Like, Post
from tests.conftest import csrf_token
from tests.factories import PostFactory, UserFactory, block, follow, make_image


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_home_needs_sign_in(client):
    response = client.get("/home")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_home_page_has_form_feed_and_live_placeholders(auth_client):
    friend = UserFactory()
    follow(auth_client.user, friend)
    PostFactory(author_id=friend.id, body="hello from a friend https://ex.com")
    body = auth_client.get("/home").get_data(as_text=True)
    assert 'id="home-feed"' in body and 'id="new-posts"' in body and 'id="post-form"' in body
    assert "hello from a friend" in body
    assert 'rel="nofollow noopener ugc"' in body


def test_post_without_js_redirects_and_with_htmx_returns_form_and_the_post(auth_client, htmx):
    token = csrf_token(auth_client, "/home")
    data = {"csrf_token": token, "body": "First post", "content_warning": "",
            "image1": (io.BytesIO(make_image()), "a.png"), "alt1": "A pink square"}
    response = auth_client.post("/posts", data=data, content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"] == "/home"
    page = auth_client.get("/home").get_data(as_text=True)
    assert 'alt="A pink square"' in page
    response = auth_client.post("/posts", data={"body": "Second", "content_warning": "spiders"},
                                headers={**htmx, "X-CSRFToken": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<form id="post-form"')
    assert 'hx-swap-oob="afterbegin:#feed-items"' in body and "<details" in body and "spiders" in body
    assert count(Post) == 2


def test_bad_post_is_422_with_the_form_and_nothing_written(auth_client, htmx):
    token = csrf_token(auth_client, "/home")
    response = auth_client.post("/posts", data={"body": "x" * 5001, "csrf_token": token})
    assert response.status_code == 422 and "5,000" in response.get_data(as_text=True)
    response = auth_client.post("/posts", data={"body": "", "image1": (io.BytesIO(b"nope"), "a.png")},
                                headers={**htmx, "X-CSRFToken": token}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<form id="post-form"')
    assert count(Post) == 0


def test_load_more_is_a_link_and_an_htmx_fragment(client, htmx):
    author = UserFactory()
    for i in range(25):
        PostFactory(author_id=author.id, body=f"post {i}")
    page = client.get("/explore").get_data(as_text=True)
    link = re.search(r'href="(/explore\?cursor=[^"]+)" hx-get="\1" hx-target="#feed-more" hx-swap="outerHTML"', page)
    assert link and page.count('class="card post"') == 20
    full = client.get(link.group(1).replace("&amp;", "&"))
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    fragment = client.get(link.group(1).replace("&amp;", "&"), headers=htmx).get_data(as_text=True)
    assert "<html" not in fragment and fragment.count('class="card post"') == 5
    assert 'id="feed-more"' in fragment and "Load more" not in fragment
    bad = client.get("/explore?cursor=forged")
    assert bad.status_code == 400 and "damaged" in bad.get_data(as_text=True)


def test_profile_shows_posts_and_load_more(client, htmx):
    author = UserFactory()
    for i in range(21):
        PostFactory(author_id=author.id, body=f"p{i}")
    page = client.get(f"/u/{author.username}").get_data(as_text=True)
    assert "p20" in page and f"/u/{author.username}/posts?cursor=" in page
    cursor = re.search(r"cursor=([^\"&]+)", page).group(1)
    fragment = client.get(f"/u/{author.username}/posts?cursor={cursor}", headers=htmx).get_data(as_text=True)
    assert "p0" in fragment and "<html" not in fragment


def test_like_without_js_redirects_back_and_with_htmx_swaps_the_button(auth_client, htmx):
    post = PostFactory(author_id=UserFactory().id)
    token = csrf_token(auth_client, f"/posts/{post.id}")
    response = auth_client.post(f"/posts/{post.id}/like", data={"csrf_token": token, "next": "/explore"})
    assert response.status_code == 303 and response.headers["Location"] == "/explore"
    response = auth_client.post(f"/posts/{post.id}/like", headers={**htmx, "X-CSRFToken": token})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<form id="like-{post.id}"') and "1 like<" in body
    response = auth_client.post(f"/posts/{post.id}/unlike", headers={**htmx, "X-CSRFToken": token})
    assert "0 likes" in response.get_data(as_text=True)
    assert count(Like) == 0


def test_like_needs_csrf(auth_client):
    post = PostFactory(author_id=UserFactory().id)
    assert auth_client.post(f"/posts/{post.id}/like").status_code == 400
    assert count(Like) == 0


def test_post_page_comments_and_deletes(auth_client, htmx):
    other = UserFactory()
    post = PostFactory(author_id=auth_client.user.id)
    token = csrf_token(auth_client, f"/posts/{post.id}")
    response = auth_client.post(f"/posts/{post.id}/comments", data={"csrf_token": token, "body": "Nice @x"})
    assert response.status_code == 303
    page = auth_client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert "Nice" in page and "Delete comment" in page
    response = auth_client.post(f"/posts/{post.id}/comments", data={"body": ""}, headers={**htmx, "X-CSRFToken": token})
    assert response.status_code == 422 and response.get_data(as_text=True).lstrip().startswith('<form id="comment-form"')
    comment_id = db.session.scalar(sa.select(Comment.id))
    response = auth_client.post(f"/comments/{comment_id}/delete", data={"csrf_token": token}, headers=htmx)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/posts/{post.id}"
    theirs = PostFactory(author_id=other.id)
    refused = auth_client.post(f"/posts/{theirs.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "Only the author can delete this post." in refused.get_data(as_text=True) and count(Post) == 2
    assert auth_client.post(f"/posts/{post.id}/delete", data={"csrf_token": token}).status_code == 303
    assert count(Post) == 1
    assert auth_client.get(f"/posts/{post.id}").status_code == 404


def test_an_htmx_comment_comes_back_in_place_with_an_empty_form_and_the_new_counts(auth_client, htmx):
    post = PostFactory(author_id=UserFactory().id)
    token = csrf_token(auth_client, f"/posts/{post.id}")
    page = auth_client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert '<p id="comments-empty" class="muted">No comments yet.</p>' in page
    assert 'hx-disabled-elt="find button[type=submit]"' in page  # one request per double click
    response = auth_client.post(f"/posts/{post.id}/comments", data={"body": "First!"},
                                headers={**htmx, "X-CSRFToken": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    comment_id = db.session.scalar(sa.select(Comment.id))
    form = html[:html.index("</form>")]
    assert form.lstrip().startswith('<form id="comment-form"') and "First!" not in form  # the box is empty
    assert '<div hx-swap-oob="afterbegin:#comment-items">' in html and f'id="comment-{comment_id}"' in html
    assert '<h2 id="comments-heading" hx-swap-oob="true">Comments (1)</h2>' in html
    assert re.search(rf'<a id="comment-count-{post.id}" [^>]*hx-swap-oob="true">1 comment</a>', html)
    assert '<p id="comments-empty" class="muted" hx-swap-oob="true" hidden>' in html
    second = auth_client.post(f"/posts/{post.id}/comments", data={"body": "Second"},
                              headers={**htmx, "X-CSRFToken": token}).get_data(as_text=True)
    assert "Comments (2)" in second and ">2 comments</a>" in second and count(Comment) == 2
    page = auth_client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert '<p id="comments-empty" class="muted" hidden>' in page
    assert page.index("Second") < page.index("First!")  # newest first, as the list is drawn


def test_comment_on_a_hidden_post_is_404(auth_client):
    other = UserFactory()
    post = PostFactory(author_id=other.id)
    block(other, auth_client.user)
    token = csrf_token(auth_client, "/explore")
    assert auth_client.get(f"/posts/{post.id}").status_code == 404
    assert auth_client.post(f"/posts/{post.id}/comments", data={"csrf_token": token, "body": "hi"}).status_code == 404
    assert count(Comment) == 0


def test_home_load_more_without_and_with_htmx(auth_client, htmx):
    friend = UserFactory()
    follow(auth_client.user, friend)
    for i in range(22):
        PostFactory(author_id=friend.id, body=f"entry {i}")
    page = auth_client.get("/home").get_data(as_text=True)
    cursor = re.search(r'href="/home\?cursor=([^"]+)"', page).group(1)
    full = auth_client.get(f"/home?cursor={cursor}")
    assert full.status_code == 200 and 'id="home-feed"' in full.get_data(as_text=True)
    fragment = auth_client.get(f"/home?cursor={cursor}", headers=htmx).get_data(as_text=True)
    assert "<html" not in fragment and fragment.count('class="card post"') == 2 and 'id="feed-more"' in fragment


def test_content_warning_folds_the_post_without_js(client):
    post = PostFactory(author_id=UserFactory().id, body="the twist", content_warning="Spoilers")
    body = client.get(f"/posts/{post.id}").get_data(as_text=True)
    folded = body[body.index('<details class="content-warning"'):]
    folded = folded[:folded.index("</details>")]
    assert "Content warning: Spoilers" in folded and "the twist" in folded
    assert "<details open" not in body.replace('<details class="image-fields"', "")


def test_comments_load_more_without_and_with_htmx(client, htmx):
    from tests.factories import CommentFactory

    post = PostFactory(author_id=UserFactory().id)
    author = UserFactory()
    for i in range(55):
        CommentFactory(post_id=post.id, author_id=author.id, body=f"comment {i}")
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert page.count('class="comment"') == 50
    cursor = re.search(r'cursor=([^"&]+)', page).group(1)
    fragment = client.get(f"/posts/{post.id}?cursor={cursor}", headers=htmx).get_data(as_text=True)
    assert "<html" not in fragment and fragment.count('class="comment"') == 5
    full = client.get(f"/posts/{post.id}?cursor={cursor}")
    assert "<html" in full.get_data(as_text=True)


def test_api_explore_and_comment_pages(app, client):
    author = UserFactory()
    post = PostFactory(author_id=author.id)
    for _ in range(3):
        PostFactory(author_id=author.id)
    data = client.get("/api/posts/explore?limit=2").get_json()
    assert len(data["posts"]) == 2 and data["next_cursor"]
    from tests.factories import CommentFactory

    for _ in range(3):
        CommentFactory(post_id=post.id, author_id=author.id)
    first = client.get(f"/api/social/comments?post_id={post.id}&limit=2").get_json()
    rest = client.get(f"/api/social/comments?post_id={post.id}&limit=2&cursor={first['next_cursor']}").get_json()
    assert len(first["comments"]) == 2 and len(rest["comments"]) == 1 and rest["next_cursor"] is None
    unnamed = client.get("/api/social/comments")
    assert unnamed.status_code == 400 and unnamed.get_json()["error"]["fields"] == {"post_id": "Required."}


def test_card_action_paths_are_the_routes(app):
    from flask import url_for

    with app.test_request_context():
        base = url_for("posts.show", post_id=7)
        assert url_for("posts.like", post_id=7) == base + "/like"
        assert url_for("posts.unlike", post_id=7) == base + "/unlike"
        assert url_for("posts.destroy", post_id=7) == base + "/delete"
