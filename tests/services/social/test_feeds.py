from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services.errors import Invalid
from app.services.social import feeds, likes
from tests.factories import PostFactory, UserFactory, block, follow, mute


@contextmanager
def count_queries():
    seen = []

    def listener(conn, cursor, statement, *args):
        if statement.split()[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "EXECUTE"):
            seen.append(statement)

    engines = set(db.engines.values())
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", listener)


def posts_at(author, n, start=None):
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    return [PostFactory(author_id=author.id, created_at=start + timedelta(minutes=i)) for i in range(n)]


def ids(page):
    return [e.post.id for e in page.entries]


def test_home_is_own_and_followed_newest_first_minus_muted_and_blocked(app):
    me, friend, stranger, muted, blocker = (UserFactory() for _ in range(5))
    for u in (friend, muted, blocker):
        follow(me, u)
    mine = posts_at(me, 1)
    theirs = posts_at(friend, 2, datetime(2026, 2, 1, tzinfo=UTC))
    posts_at(stranger, 1)
    posts_at(muted, 1)
    posts_at(blocker, 1)
    mute(me, muted)
    block(blocker, me)
    page = feeds.home_feed(me)
    assert ids(page) == [theirs[1].id, theirs[0].id, mine[0].id]
    assert page.next_cursor is None


def test_explore_leaves_out_blocked_both_ways_and_muted(app):
    me, a, b, c = (UserFactory() for _ in range(4))
    pa, pb, pc = PostFactory(author_id=a.id), PostFactory(author_id=b.id), PostFactory(author_id=c.id)
    block(me, a)
    mute(me, b)
    assert ids(feeds.explore_feed(me)) == [pc.id]
    assert set(ids(feeds.explore_feed(None))) == {pa.id, pb.id, pc.id}


def test_keyset_pages_cover_everything_once_even_with_equal_times(app):
    me = UserFactory()
    same = datetime(2026, 3, 1, tzinfo=UTC)
    made = [PostFactory(author_id=me.id, created_at=same) for _ in range(7)] + posts_at(me, 5)
    seen, cursor = [], None
    while True:
        page = feeds.profile_feed(me, me, cursor=cursor, limit=3)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(p.id for p in made) and len(seen) == len(set(seen))
    assert seen[:7] == sorted((p.id for p in made[:7]), reverse=True)


@pytest.mark.parametrize("cursor", ["garbage", "WzEsMl0.x", None])
def test_a_tampered_cursor_is_a_clear_400(app, cursor):
    me = UserFactory()
    posts_at(me, 3)
    good = feeds.home_feed(me, limit=1).next_cursor
    bad = cursor or good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    with pytest.raises(Invalid) as exc:
        feeds.home_feed(me, cursor=bad)
    assert exc.value.code == "invalid_cursor"


@pytest.mark.parametrize("limit", ["0", "101", "x"])
def test_bad_limit_is_refused(app, limit):
    with pytest.raises(Invalid):
        feeds.explore_feed(None, limit=limit)


@pytest.mark.parametrize("size", [1, 5, 40])
def test_a_feed_page_takes_at_most_three_queries_whatever_its_size(app, size):
    me = UserFactory()
    authors = [UserFactory() for _ in range(5)]
    for author in authors:
        follow(me, author)
        posts_at(author, 10)
    likes.like_post(me, PostFactory(author_id=authors[0].id).id)
    db.session.commit()
    db.session.expire_all()
    me.id  # the signed-in user is loaded before any page runs
    with count_queries() as seen:
        page = feeds.home_feed(me, limit=size, with_counts=True)
        [(e.author.username, e.liked, e.post.images) for e in page.entries]
    assert len(page.entries) == size
    assert len(seen) <= 3, seen
    assert page.entries[0].liked is True
    assert page.entries[0].counts == {"followers": 1, "following": 0}


def test_the_page_and_the_api_get_the_authors_cards_and_serializers_read(app):
    me = UserFactory()
    author = UserFactory(display_name="Ada", bio="Draws things")
    follow(me, author)
    PostFactory(author_id=author.id)
    db.session.commit()
    page = feeds.home_feed(me).entries[0].author
    api = feeds.home_feed(me, with_counts=True).entries[0].author
    for shown in (page, api):
        assert (shown.id, shown.username, shown.name, shown.avatar_key) == (
            author.id, author.username, "Ada", author.avatar_key)
    assert api.bio == "Draws things"


def test_a_followed_suspended_author_never_shortens_a_page(app):
    """Their posts are left out before the page is cut: a full page of the others' posts,
    however many newer posts the suspended author has."""
    from app.services.accounts.suspension import suspend_user

    me, friend, suspended = UserFactory(), UserFactory(), UserFactory()
    follow(me, friend)
    follow(me, suspended)
    older = posts_at(friend, 6)
    posts_at(suspended, 10, datetime(2026, 6, 1, tzinfo=UTC))
    suspend_user(UserFactory(is_admin=True), suspended, "spam")
    db.session.commit()
    first = feeds.home_feed(me, limit=3)
    assert ids(first) == [p.id for p in reversed(older[3:])]
    second = feeds.home_feed(me, cursor=first.next_cursor, limit=3)
    assert ids(second) == [p.id for p in reversed(older[:3])]
