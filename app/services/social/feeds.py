"""Feeds, newest first, keyset-paginated. A page costs three queries whatever its size,
each on one bind: the ids of suspended users (users bind, read once per request), the posts
(with `liked_by_me` and, for the API, the authors' follow counts as subqueries; social
bind), and their authors by id (users bind).

Each feed's statement is built once, when this module loads, with bound parameters for the
viewer, the suspended authors, the position and the page size: every page of every viewer
runs the same statement, so SQLAlchemy compiles it once and psycopg prepares it. (A
statement built per request costs more to build than to run.)"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.social import Block, Follow, Like, Mute, Post
from app.services.accounts import users_by_id
from app.services.accounts.visibility import suspended_user_ids
from app.services.social.cursors import PAGE_ROWS, clean_limit, keyset, page_params, split_page
from app.services.social.people import viewer_id


@dataclass
class Entry:
    post: Post
    author: User
    liked: bool = False
    counts: dict | None = None


@dataclass
class Page:
    entries: list[Entry] = field(default_factory=list)
    next_cursor: str | None = None


VIEWER = sa.bindparam("viewer", type_=sa.Integer())  # None when signed out: nothing is hidden
SUSPENDED = sa.bindparam("suspended", type_=sa.ARRAY(sa.Integer()))
AUTHOR = sa.bindparam("author", type_=sa.Integer())


def _hidden_authors(column, *, mutes: bool) -> list:
    """Conditions leaving out suspended users, users blocked either way with the viewer
    and, in feeds, those the viewer muted."""
    conditions = [
        column != sa.all_(SUSPENDED),
        column.not_in(sa.select(Block.blocked_id).where(Block.blocker_id == VIEWER)),
        column.not_in(sa.select(Block.blocker_id).where(Block.blocked_id == VIEWER)),
    ]
    if mutes:
        conditions.append(column.not_in(sa.select(Mute.muted_id).where(Mute.muter_id == VIEWER)))
    return conditions


def _count_columns() -> list:
    followers = (sa.select(sa.func.count()).where(Follow.followee_id == Post.author_id)
                 .correlate(Post).scalar_subquery().label("followers"))
    following = (sa.select(sa.func.count()).where(Follow.follower_id == Post.author_id)
                 .correlate(Post).scalar_subquery().label("following"))
    return [followers, following]


def _newest_per_author():
    """The ids of the home page's posts, read from each followed author's newest entries in
    the (author_id, created_at, id) index (a LATERAL join), instead of walking everyone's
    posts backwards in time until enough of them are by people I follow. Suspended authors
    are left out before the page is cut, so they never shorten it."""
    followed = sa.select(Follow.followee_id).where(
        Follow.follower_id == VIEWER, *_hidden_authors(Follow.followee_id, mutes=True))
    authors = sa.union_all(followed, sa.select(VIEWER)).subquery("authors")
    aid = authors.c[0]
    newest = keyset(sa.select(Post.id, Post.created_at).where(Post.author_id == aid),
                    Post.created_at, Post.id).lateral("newest")
    return (sa.select(newest.c.id).select_from(authors.join(newest, sa.true()))
            .order_by(newest.c.created_at.desc(), newest.c.id.desc()).limit(PAGE_ROWS))


def _cards(*conditions) -> dict[bool, sa.Select]:
    """A feed's statement, without and with the authors' follow counts (the API's shape)."""
    liked = sa.exists().where(Like.post_id == Post.id, Like.user_id == VIEWER).label("liked")
    return {
        with_counts: keyset(
            sa.select(Post, liked, *(_count_columns() if with_counts else [])).where(*conditions),
            Post.created_at, Post.id)
        for with_counts in (False, True)
    }


HOME = _cards(Post.id.in_(_newest_per_author()))
EXPLORE = _cards(*_hidden_authors(Post.author_id, mutes=True))
PROFILE = _cards(Post.author_id == AUTHOR, *_hidden_authors(Post.author_id, mutes=False))


def _run(statements, viewer, cursor, limit, with_counts: bool, **params) -> Page:
    limit = clean_limit(limit)
    params |= page_params(cursor, limit)
    params |= {"viewer": viewer_id(viewer), "suspended": list(suspended_user_ids())}
    rows, next_cursor = split_page(list(db.session.execute(statements[with_counts], params)), limit,
                                   lambda row: (row[0].created_at, row[0].id))
    authors = users_by_id(row[0].author_id for row in rows)
    entries = [
        Entry(post=row[0], author=authors[row[0].author_id], liked=bool(row[1]),
              counts={"followers": row[2], "following": row[3]} if with_counts else None)
        for row in rows
        if row[0].author_id in authors  # an author suspended since is not shown
    ]
    return Page(entries, next_cursor)


def home_feed(viewer, *, cursor: str | None = None, limit=None, with_counts: bool = False) -> Page:
    """My posts and those of the people I follow, minus muted, blocked and suspended
    authors. `with_counts` is the API's shape: the authors' follow counts."""
    return _run(HOME, viewer, cursor, limit, with_counts)


def explore_feed(viewer, *, cursor: str | None = None, limit=None, with_counts: bool = False) -> Page:
    """Everyone's recent posts, minus authors the viewer blocked, was blocked by or muted."""
    return _run(EXPLORE, viewer, cursor, limit, with_counts)


def profile_feed(author: User, viewer, *, cursor: str | None = None, limit=None,
                 with_counts: bool = False) -> Page:
    """One author's posts (the caller has already checked the viewer may see the profile)."""
    return _run(PROFILE, viewer, cursor, limit, with_counts, author=author.id)
