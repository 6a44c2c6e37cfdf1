import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.social import Comment, Like, Notification, Post
from app.services.errors import Invalid, NotAllowed, NotFound
from app.services.social import comments, likes, posts
from app.services.social.posts import ImageUpload
from app.services.social.text import find_mentions, render_text
from tests.factories import PostFactory, UserFactory, block, make_image, mute


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_text_is_escaped_and_links_and_mentions_become_links():
    html = str(render_text('<script>x</script> see https://ex.com/a?b=1&c=2. hi @Alice and @bob!\nok'))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://ex.com/a?b=1&amp;c=2" rel="nofollow noopener ugc" target="_blank">' in html
    assert "</a>." in html
    assert '<a class="mention" href="/u/alice">@Alice</a>' in html
    assert "<br>" in html


def test_a_quote_cannot_break_out_of_a_link():
    html = str(render_text('https://ex.com/"onmouseover="alert(1)'))
    assert 'onmouseover="' not in html
    assert "<a" not in str(render_text("javascript:alert(1)"))


def test_find_mentions_dedupes_and_ignores_emails():
    assert find_mentions("@Ann hi @ann and mail@host.com @bo") == ["ann"]


def test_create_post_with_images_alt_text_and_warning(app):
    author = UserFactory()
    post = posts.create_post(author, "  Hello  ", content_warning="spoilers",
                             images=[ImageUpload(io.BytesIO(make_image()), "A red square")])
    assert post.body == "Hello" and post.content_warning == "spoilers"
    assert post.images[0]["alt"] == "A red square"
    assert post.images[0]["key"].startswith("public/posts/") and post.images[0]["key"].endswith(".webp")


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_empty_or_too_long_post_is_refused_and_nothing_written(app, body):
    with pytest.raises(Invalid) as exc:
        posts.create_post(UserFactory(), body)
    assert "body" in exc.value.fields
    assert count(Post) == 0


def test_5000_characters_is_fine(app):
    assert posts.create_post(UserFactory(), "x" * 5000).id


def test_fifth_image_or_a_non_image_is_refused_and_nothing_stored(app):
    author = UserFactory()
    five = [ImageUpload(io.BytesIO(make_image())) for _ in range(5)]
    with pytest.raises(Invalid) as exc:
        posts.create_post(author, "five", images=five)
    assert "images" in exc.value.fields
    bad = [ImageUpload(io.BytesIO(make_image())), ImageUpload(io.BytesIO(b"not an image"))]
    with pytest.raises(Invalid) as exc:
        posts.create_post(author, "bad", images=bad)
    assert exc.value.code == "invalid_image"
    assert count(Post) == 0
    media = app.config["MEDIA_ROOT"]
    import os

    assert not os.path.exists(os.path.join(media, "public", "posts")) or not os.listdir(
        os.path.join(media, "public", "posts"))


def test_mentions_notify_unless_blocked_or_muted(app):
    author, ann, bo, cy = UserFactory(), UserFactory(username="ann"), UserFactory(username="bo1"), UserFactory(username="cy1")
    block(bo, author)
    mute(cy, author)
    posts.create_post(author, "hey @ann @bo1 @cy1 @nobody")
    rows = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind) for n in rows] == [(ann.id, "mention")]


def test_only_the_author_deletes_and_everything_goes(app):
    author, other = UserFactory(), UserFactory()
    post = posts.create_post(author, "bye", images=[ImageUpload(io.BytesIO(make_image()), "x")])
    comments.add_comment(other, post.id, "nice")
    likes.like_post(other, post.id)
    with pytest.raises(NotAllowed):
        posts.delete_post(other, post.id)
    posts.delete_post(author, post.id)
    assert count(Post) == count(Comment) == count(Like) == 0
    with pytest.raises(NotFound):
        posts.get_post(post.id, author)


def test_comments_rules(app):
    author, reader, other = UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    with pytest.raises(Invalid):
        comments.add_comment(reader, post.id, "")
    with pytest.raises(Invalid):
        comments.add_comment(reader, post.id, "x" * 2001)
    c1 = comments.add_comment(reader, post.id, "x" * 2000)
    c2 = comments.add_comment(reader, post.id, "second")
    db.session.refresh(post)
    assert post.comment_count == 2
    with pytest.raises(NotAllowed):
        comments.delete_comment(other, c1.id)
    comments.delete_comment(reader, c1.id)  # its author
    comments.delete_comment(author, c2.id)  # the post's author
    db.session.refresh(post)
    assert post.comment_count == 0 and count(Comment) == 0
    kinds = db.session.scalars(sa.select(Notification.kind)).all()
    assert kinds == ["comment", "comment"]


def test_comment_on_deleted_or_hidden_post_is_404_and_nothing_written(app):
    author, reader = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    block(author, reader)
    with pytest.raises(NotFound):
        comments.add_comment(reader, post.id, "hi")
    with pytest.raises(NotFound):
        comments.add_comment(author, 999, "hi")
    assert count(Comment) == 0


def test_likes_are_idempotent_and_counted_on_the_row(app):
    author, fan = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    assert likes.like_post(fan, post.id) == {"liked": True, "like_count": 1}
    assert likes.like_post(fan, post.id) == {"liked": True, "like_count": 1}
    assert likes.like_post(author, post.id) == {"liked": True, "like_count": 2}
    assert likes.unlike_post(fan, post.id) == {"liked": False, "like_count": 1}
    assert likes.unlike_post(fan, post.id) == {"liked": False, "like_count": 1}
    kinds = db.session.scalars(sa.select(Notification.kind)).all()
    assert kinds == ["like"]  # the second like made none, nor did the author's own


def test_like_by_a_blocked_user_is_404_and_nothing_written(app):
    author, fan = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id)
    block(author, fan)
    with pytest.raises(NotFound):
        likes.like_post(fan, post.id)
    db.session.refresh(post)
    assert post.like_count == 0 and count(Like) == 0
