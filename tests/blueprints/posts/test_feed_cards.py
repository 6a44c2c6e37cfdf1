"""The home page's post cards: nothing of one viewer shows on another's page, and any change
shows on the next render."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.social import Post
from app.services.accounts.suspension import suspend_user
from app.services.social import likes
from tests.conftest import sign_in
from tests.factories import PostFactory, UserFactory, block, follow, mute
from tests.services.social.test_feeds import count_queries

TOKENS = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def page(client, path="/home") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def card(html: str, post_id: int) -> str:
    start = html.index(f'<article id="post-{post_id}"')
    return html[start:html.index("</article>", start)]


def tokens(html: str) -> set[str]:
    return {a or b for a, b in TOKENS.findall(html)}


@pytest.fixture
def two_viewers(app):
    author, alice, bob = UserFactory(), UserFactory(), UserFactory()
    for viewer in (alice, bob):
        follow(viewer, author)
    post = PostFactory(author_id=author.id, body="shared card body")
    db.session.commit()
    return author, post, client_for(app, alice), client_for(app, bob), alice, bob


def test_liked_state_and_tokens_are_each_viewers_own(two_viewers):
    author, post, alice_client, bob_client, alice, _bob = two_viewers
    likes.like_post(alice, post.id)
    db.session.commit()
    alice_page = page(alice_client)
    bob_page = page(bob_client)  # the shared part now comes from the cache
    assert 'aria-pressed="true">Liked</button>' in card(alice_page, post.id)
    assert 'aria-pressed="false">Like</button>' in card(bob_page, post.id)
    assert "1 like<" in card(bob_page, post.id)
    alice_tokens, bob_tokens = tokens(alice_page), tokens(bob_page)
    assert alice_tokens and bob_tokens and not alice_tokens & bob_tokens
    assert len(bob_tokens) == 1  # every form of Bob's page carries Bob's one token


def test_delete_button_only_on_the_viewers_own_posts(app, two_viewers):
    author, post, alice_client, _bob_client, _alice, _bob = two_viewers
    assert "Delete post" not in card(page(alice_client), post.id)
    author_page = page(client_for(app, author))
    assert f'action="/posts/{post.id}/delete"' in card(author_page, post.id)
    assert "Delete post" not in card(page(alice_client), post.id)


def test_an_edit_a_rename_and_new_counts_show_on_the_next_render(two_viewers):
    author, post, alice_client, bob_client, _alice, bob = two_viewers
    assert "shared card body" in page(alice_client)
    db.session.execute(sa.update(Post).where(Post.id == post.id).values(body="edited body", comment_count=3))
    author.display_name = "Renamed Author"
    likes.like_post(bob, post.id)
    db.session.commit()
    html = card(page(alice_client), post.id)
    assert "edited body" in html and "shared card body" not in html
    assert "Renamed Author" in html
    assert "1 like<" in html and "3 comments<" in html
    assert 'aria-pressed="true">Liked</button>' in card(page(bob_client), post.id)


def test_deleted_post_is_gone_from_the_next_render(app, two_viewers):
    author, post, alice_client, _bob_client, _alice, _bob = two_viewers
    assert f'id="post-{post.id}"' in page(alice_client)
    author_client = client_for(app, author)
    token = tokens(page(author_client)).pop()
    response = author_client.post(f"/posts/{post.id}/delete", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert f'id="post-{post.id}"' not in page(alice_client)


def test_block_mute_and_suspension_hide_the_cached_card(app, two_viewers):
    author, post, alice_client, bob_client, alice, bob = two_viewers
    assert f'id="post-{post.id}"' in page(alice_client) and f'id="post-{post.id}"' in page(bob_client)
    mute(alice, author)
    block(author, bob)
    db.session.commit()
    assert f'id="post-{post.id}"' not in page(alice_client)
    assert f'id="post-{post.id}"' not in page(bob_client)
    other = UserFactory()
    follow(other, author)
    db.session.commit()
    other_client = client_for(app, other)
    assert f'id="post-{post.id}"' in page(other_client)
    suspend_user(UserFactory(is_admin=True), author, "spam")
    db.session.commit()
    assert f'id="post-{post.id}"' not in page(other_client)


def test_home_page_statements_do_not_grow_with_the_page(app):
    """A returning signed-in visit: the sign-in session, the navigation's badge and balance,
    and the feed (its posts and their authors): the same number for any page size."""
    me, author = UserFactory(), UserFactory()
    follow(me, author)
    db.session.commit()
    client = client_for(app, me)
    page(client)  # the first visit writes the sign-up grant: count the steady state
    counts = {}
    for total in (1, 5, 25):
        while db.session.scalar(sa.select(sa.func.count()).select_from(Post)) < total:
            PostFactory(author_id=author.id)
        db.session.commit()
        with count_queries() as seen:
            html = page(client)
        assert html.count('class="card post"') == min(total, 20)
        counts[total] = len(seen)
    assert len(set(counts.values())) == 1, counts


def test_the_shared_part_is_drawn_once_per_version(app, two_viewers):
    """The author line, body and images come from the fragment cache (Flask-Caching) under a
    key that names the post's and author's current state; an edit is a new key."""
    from flask_caching import make_template_fragment_key

    from app.extensions import fragments
    from app.web.fragments import post_head_version

    author, post, alice_client, _bob_client, _alice, _bob = two_viewers

    def key():
        db.session.refresh(post)
        db.session.refresh(author)
        return make_template_fragment_key("post-head", vary_on=[post_head_version(post, author)])

    before = key()
    with app.app_context():
        fragments.delete(before)
    page(alice_client)
    with app.app_context():
        assert "shared card body" in fragments.get(before)
    db.session.execute(sa.update(Post).where(Post.id == post.id).values(body="edited again"))
    db.session.commit()
    after = key()
    assert after != before
    assert "edited again" in card(page(alice_client), post.id)
    with app.app_context():
        assert "edited again" in fragments.get(after)
