"""Feeds, newest first, keyset-paginated. A page costs three queries whatever its size,
each on one bind: the ids of suspended users (users bind, read once per request), the posts
(with `liked_by_me` and, for the API, the authors' follow counts as subqueries; social
bind), and their authors by id (users bind)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.social import Block, Follow, Like, Mute, Post
from app.services.accounts import users_by_id
from app.services.accounts.visibility import suspended_user_ids
from app.services.social.cursors import clean_limit, keyset, split_page
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


def _liked_column(uid: int | None):
    if uid is None:
        return sa.literal(False)
    return sa.exists().where(Like.post_id == Post.id, Like.user_id == uid).label("liked")


def _count_columns():
    followers = (sa.select(sa.func.count()).where(Follow.followee_id == Post.author_id)
                 .correlate(Post).scalar_subquery().label("followers"))
    following = (sa.select(sa.func.count()).where(Follow.follower_id == Post.author_id)
                 .correlate(Post).scalar_subquery().label("following"))
    return [followers, following]


def _hidden_authors(column, uid: int, *, mutes: bool = True) -> list:
    """Conditions leaving out users blocked either way and, in feeds, those `uid` muted."""
    conditions = [
        column.not_in(sa.select(Block.blocked_id).where(Block.blocker_id == uid)),
        column.not_in(sa.select(Block.blocker_id).where(Block.blocked_id == uid)),
    ]
    if mutes:
        conditions.append(column.not_in(sa.select(Mute.muted_id).where(Mute.muter_id == uid)))
    return conditions


def _hidden(query, uid: int | None, *, mutes: bool):
    """Leave out suspended authors, authors blocked either way and, in feeds, those the
    viewer muted."""
    suspended = suspended_user_ids()
    if suspended:
        query = query.where(Post.author_id.not_in(suspended))
    if uid is None:
        return query
    return query.where(*_hidden_authors(Post.author_id, uid, mutes=mutes))


def _run(query, uid, cursor, limit, with_counts: bool) -> Page:
    limit = clean_limit(limit)
    columns = [Post, _liked_column(uid), *(_count_columns() if with_counts else [])]
    query = keyset(query.with_only_columns(*columns), Post.created_at, Post.id, cursor, limit)
    rows, next_cursor = split_page(list(db.session.execute(query)), limit,
                                   lambda row: (row[0].created_at, row[0].id))
    authors = users_by_id(row[0].author_id for row in rows)
    entries = [
        Entry(post=row[0], author=authors[row[0].author_id], liked=bool(row[1]),
              counts={"followers": row[2], "following": row[3]} if with_counts else None)
        for row in rows
        if row[0].author_id in authors  # suspended authors' posts are not shown
    ]
    return Page(entries, next_cursor)


def home_feed(viewer, *, cursor: str | None = None, limit=None, with_counts: bool = False) -> Page:
    """My posts and those of the people I follow, minus muted, blocked and suspended
    authors. `with_counts` is the API's shape: the authors' follow counts."""
    uid = viewer.id
    followed = sa.select(Follow.followee_id).where(Follow.follower_id == uid, *_hidden_authors(Follow.followee_id, uid))
    suspended = suspended_user_ids()
    if suspended:
        # Left out before the page is cut: a followed suspended author never shortens a page.
        followed = followed.where(Follow.followee_id.not_in(suspended))
    query = sa.select(Post).where(Post.id.in_(_newest_per_author(uid, followed, cursor, clean_limit(limit))))
    return _run(query, uid, cursor, limit, with_counts)


def _newest_per_author(uid: int, followed, cursor: str | None, limit: int):
    """The ids of the page's posts, read from each followed author's newest entries in the
    (author_id, created_at, id) index (a LATERAL join), instead of walking everyone's posts
    backwards in time until enough of them are by people I follow."""
    authors = sa.union_all(followed, sa.select(sa.literal(uid))).subquery("authors")
    aid = authors.c[0]
    newest = keyset(sa.select(Post.id, Post.created_at).where(Post.author_id == aid),
                    Post.created_at, Post.id, cursor, limit).lateral("newest")
    return (sa.select(newest.c.id).select_from(authors.join(newest, sa.true()))
            .order_by(newest.c.created_at.desc(), newest.c.id.desc()).limit(limit + 1))


def explore_feed(viewer, *, cursor: str | None = None, limit=None, with_counts: bool = False) -> Page:
    """Everyone's recent posts, minus authors the viewer blocked, was blocked by or muted."""
    uid = viewer_id(viewer)
    return _run(_hidden(sa.select(Post), uid, mutes=True), uid, cursor, limit, with_counts)


def profile_feed(author: User, viewer, *, cursor: str | None = None, limit=None,
                 with_counts: bool = False) -> Page:
    """One author's posts (the caller has already checked the viewer may see the profile)."""
    uid = viewer_id(viewer)
    query = _hidden(sa.select(Post).where(Post.author_id == author.id), uid, mutes=False)
    return _run(query, uid, cursor, limit, with_counts)
