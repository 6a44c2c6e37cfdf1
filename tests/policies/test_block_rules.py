"""The block rules as a table: for each direction of a block, what the other user may see
and do. Every row runs through the services; the pages and the API answer 404 alike."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.social import Follow, Notification
from app.services.errors import NotFound
from app.services.social import comments, feeds, follows, likes, posts
from app.services.social.people import get_visible_user
from app.services.social.policies import can_delete_comment, can_delete_post, can_interact, can_view_post
from tests.conftest import bearer
from tests.factories import CommentFactory, PostFactory, UserFactory, block

# (action, allowed across a block)
ACTIONS = [
    ("see profile", False),
    ("see post", False),
    ("see posts in explore", False),
    ("see comments", False),
    ("like", False),
    ("comment", False),
    ("follow", False),
    ("mention notifies", False),
    ("API profile", False),
    ("API post", False),
]


def attempt(action, me, other, post, client):
    if action == "see profile":
        get_visible_user(other.username, me)
    elif action == "see post":
        posts.get_post(post.id, me)
    elif action == "see posts in explore":
        if post.id not in [e.post.id for e in feeds.explore_feed(me).entries]:
            raise NotFound("hidden")
    elif action == "see comments":
        mine = PostFactory(author_id=me.id)
        CommentFactory(post_id=mine.id, author_id=other.id)
        if not comments.list_comments(mine.id, me)[0]:
            raise NotFound("hidden")
    elif action == "like":
        likes.like_post(me, post.id)
    elif action == "comment":
        comments.add_comment(me, post.id, "hello")
    elif action == "follow":
        follows.follow_user(me, other)
    elif action == "mention notifies":
        posts.create_post(me, f"hi @{other.username}")
        if not db.session.scalar(sa.select(Notification).where(Notification.user_id == other.id)):
            raise NotFound("no notification")
    elif action == "API profile":
        response = client.get(f"/api/users/{other.username}", headers=bearer(client.application, me))
        if response.status_code == 404:
            raise NotFound("hidden")
    elif action == "API post":
        response = client.get(f"/api/posts/{post.id}", headers=bearer(client.application, me))
        if response.status_code == 404:
            raise NotFound("hidden")


@pytest.mark.parametrize("direction", ["I blocked them", "they blocked me", "no block"])
@pytest.mark.parametrize(("action", "allowed_across_block"), ACTIONS)
def test_block_table(app, client, direction, action, allowed_across_block):
    me, other = UserFactory(), UserFactory()
    post = PostFactory(author_id=other.id)
    if direction == "I blocked them":
        block(me, other)
    elif direction == "they blocked me":
        block(other, me)
    expected = True if direction == "no block" else allowed_across_block
    try:
        attempt(action, me, other, post, client)
        allowed = True
    except NotFound:
        allowed = False
    assert allowed is expected


def test_a_block_removes_follows_both_ways(app):
    from app.services.social.blocks import block_user

    a, b = UserFactory(), UserFactory()
    follows.follow_user(a, b)
    follows.follow_user(b, a)
    block_user(a, b)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 0


@pytest.mark.parametrize(("blocked", "expected"), [(set(), True), ({2}, False), ({3}, True)])
def test_can_view_post_and_interact(blocked, expected):
    class P:
        author_id = 2

    assert can_view_post(None, P(), blocked) is expected
    assert can_interact(1, 2, blocked) is expected
    assert can_interact(None, 2, set()) is False


def test_delete_policies():
    class U:
        is_authenticated = True

        def __init__(self, id):
            self.id = id

    class Thing:
        def __init__(self, author_id):
            self.author_id = author_id

    post, comment = Thing(1), Thing(2)
    assert can_delete_post(U(1), post) and not can_delete_post(U(2), post)
    assert can_delete_comment(U(1), comment, post) and can_delete_comment(U(2), comment, post)
    assert not can_delete_comment(U(3), comment, post)
    assert not can_delete_post(None, post)
