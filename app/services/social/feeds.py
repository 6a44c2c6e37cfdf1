"""Feeds, newest first, keyset-paginated. A page costs two queries whatever its size: the
posts (with `liked_by_me` and, for the API, the authors' follow counts as subqueries) in
the social bind, and their authors in the users bind. When the `social` and `users` binds
are one PostgreSQL database (the deployment: every bind on DATABASE_URL) the home feed is
one query: posts, likes and authors joined, suspended authors left out in SQL."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import UTCDateTime
from app.models.social import Block, Follow, Like, Mute, Post
from app.services.accounts.visibility import suspended_user_ids
from app.services.compiled import CompiledSelect
from app.services.social.cursors import clean_limit, decode_cursor, keyset, split_page
from app.services.social.people import users_by_id, viewer_id
from app.services.stores import same_database


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
    """My posts and those of the people I follow, minus muted and blocked authors.
    `with_counts` is the API's shape: the authors' follow counts and, on the joined path,
    every column `serialize_user` reads; a page gets only what its cards show."""
    uid = viewer.id
    if same_database("social", "users", dialect="postgresql"):
        return _home_feed_joined(uid, cursor, limit, with_counts)
    followed = sa.select(Follow.followee_id).where(Follow.follower_id == uid)
    if db.session.get_bind(mapper=sa.inspect(Post)).dialect.name == "postgresql":
        followed = followed.where(*_hidden_authors(Follow.followee_id, uid))
        query = sa.select(Post).where(Post.id.in_(_newest_per_author(uid, followed, cursor, clean_limit(limit))))
    else:
        query = sa.select(Post).where(sa.or_(Post.author_id == uid, Post.author_id.in_(followed)))
    return _run(_hidden(query, uid, mutes=True), uid, cursor, limit, with_counts)


class FeedPost:
    """A post of a joined home feed page, read as plain columns (no ORM identity map or
    instance state for 20-100 rows a page): what the cards and the API read of a `Post`."""

    __slots__ = ("id", "author_id", "body", "content_warning", "images", "like_count", "comment_count",
                 "created_at")
    columns = tuple(Post.__table__.c[name] for name in __slots__)

    def __init__(self, values):
        (self.id, self.author_id, self.body, self.content_warning, self.images, self.like_count,
         self.comment_count, self.created_at) = values


class FeedAuthor:
    """The author of a post of a joined home feed page, for the API: what `serialize_user`
    reads of a `User`."""

    __slots__ = ("id", "username", "display_name", "bio", "avatar_key", "banner_key", "created_at")
    columns = tuple(User.__table__.c[name] for name in __slots__)

    def __init__(self, values):
        (self.id, self.username, self.display_name, self.bio, self.avatar_key, self.banner_key,
         self.created_at) = values

    @property
    def name(self) -> str:
        return self.display_name or self.username


class CardAuthor:
    """The author of a post of the home feed page: only what a card shows
    (app/web/post_cards.py). The page reads three columns of each author instead of
    seven; the id is the post's `author_id`."""

    __slots__ = ("id", "username", "display_name", "avatar_key")
    columns = tuple(User.__table__.c[name] for name in __slots__[1:])

    def __init__(self, author_id, values):
        self.id = author_id
        self.username, self.display_name, self.avatar_key = values

    @property
    def name(self) -> str:
        return self.display_name or self.username


_POST_END = len(FeedPost.columns)


def _home_feed_joined(uid: int, cursor: str | None, limit, with_counts: bool) -> Page:
    """The home feed in one statement: `users` and `social` share the database, so the
    authors are joined and suspended ones left out before the page is cut (a followed
    suspended author never shortens a page). The statement is built once per shape with
    bound parameters, and compiled once."""
    limit = clean_limit(limit)
    position = decode_cursor(cursor)
    params = {"uid": uid, "page_rows": limit + 1}
    if position is not None:
        params["cursor_when"], params["cursor_id"] = position
    # On the request's connection, straight on the driver's cursor (app/services/compiled.py).
    connection = db.session.connection(bind_arguments={"mapper": sa.inspect(Post)})
    rows = _joined_statement(position is not None, with_counts).rows(connection, params)
    rows, next_cursor = split_page(rows, limit, lambda row: (row[7], row[0]))
    if with_counts:  # the API: whole authors and their follow counts
        end = _POST_END + len(FeedAuthor.columns)
        entries = [
            Entry(post=FeedPost(row[:_POST_END]), author=FeedAuthor(row[_POST_END:end]), liked=bool(row[end]),
                  counts={"followers": row[end + 1], "following": row[end + 2]})
            for row in rows
        ]
    else:
        end = _POST_END + len(CardAuthor.columns)
        entries = [
            Entry(post=FeedPost(row[:_POST_END]), author=CardAuthor(row[1], row[_POST_END:end]), liked=bool(row[end]))
            for row in rows
        ]
    return Page(entries, next_cursor)


@functools.cache
def _joined_statement(after_cursor: bool, with_counts: bool) -> CompiledSelect:
    uid = sa.bindparam("uid", type_=sa.Integer)
    page_rows = sa.bindparam("page_rows", type_=sa.Integer)
    suspended = sa.exists().where(User.id == Follow.followee_id, User.suspended_at.is_not(None))
    followed = sa.select(Follow.followee_id).where(Follow.follower_id == uid,
                                                   *_hidden_authors(Follow.followee_id, uid), ~suspended)
    authors = sa.union_all(followed, sa.select(uid)).subquery("authors")
    newest = sa.select(Post.id, Post.created_at).where(Post.author_id == authors.c[0])
    if after_cursor:
        newest = newest.where(sa.tuple_(Post.created_at, Post.id) < sa.tuple_(
            sa.bindparam("cursor_when", type_=UTCDateTime()), sa.bindparam("cursor_id", type_=sa.Integer)))
    newest = newest.order_by(Post.created_at.desc(), Post.id.desc()).limit(page_rows).lateral("newest")
    ids = (sa.select(newest.c.id).select_from(authors.join(newest, sa.true()))
           .order_by(newest.c.created_at.desc(), newest.c.id.desc()).limit(page_rows))
    authors_columns = FeedAuthor.columns if with_counts else CardAuthor.columns
    columns = [*FeedPost.columns, *authors_columns, _liked_column(uid), *(_count_columns() if with_counts else [])]
    return CompiledSelect(
        sa.select(*columns).select_from(Post).join(User, User.id == Post.author_id)
        .where(Post.id.in_(ids)).order_by(Post.created_at.desc(), Post.id.desc()).limit(page_rows))


def _newest_per_author(uid: int, followed, cursor: str | None, limit: int):
    """PostgreSQL: the ids of the page's posts, read from each followed author's newest
    entries in the (author_id, created_at, id) index (a LATERAL join), instead of walking
    everyone's posts backwards in time until enough of them are by people I follow."""
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
