"""Notifications: stored in the `social` bind, announced live through the broker.

Every domain notifies through `notify`; it enforces the rules that hold everywhere: nobody
is notified of their own actions, nothing crosses a block, and a muted user's activity
makes no notification (and they cannot tell)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.social import Block, Follow, Mute, Notification
from app.services.broker import publish_after_commit, user_channel
from app.services.errors import Invalid, NotFound

# What each kind says after the actor's name; other kinds show their stored text.
KIND_TEXT = {
    "follow": "followed you",
    "like": "liked your post",
    "comment": "commented on your post",
    "mention": "mentioned you",
}
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def has_muted(user_id: int, other_id: int) -> bool:
    return db.session.get(Mute, (user_id, other_id)) is not None


def _silenced_condition(user_id, actor_id):
    """Whether a block stands between `user_id` and `actor_id` (either way), or `user_id`
    muted `actor_id`: the two rules of `notify`, as one SQL condition."""
    blocked = sa.select(Block.blocker_id).where(sa.or_(
        sa.and_(Block.blocker_id == user_id, Block.blocked_id == actor_id),
        sa.and_(Block.blocker_id == actor_id, Block.blocked_id == user_id),
    )).exists()
    muted = sa.select(Mute.muter_id).where(Mute.muter_id == user_id, Mute.muted_id == actor_id).exists()
    return sa.or_(blocked, muted)


_TABLE = Notification.__table__
_INSERT = sa.insert(_TABLE).returning(_TABLE.c.id)
_COLUMNS = ("user_id", "kind", "actor_id", "target_type", "target_id", "text", "url", "created_at")


def _insert_unless_silenced() -> sa.Insert:
    """INSERT ... SELECT the row's values WHERE no block or mute silences the actor,
    RETURNING id: the rules and the row in one statement (no row, no id, when silenced).
    PostgreSQL gives the SELECT list's untyped values the types of the INSERT's columns."""
    values = {name: sa.bindparam(name, type_=_TABLE.c[name].type) for name in _COLUMNS}
    select = sa.select(*values.values()).where(~_silenced_condition(values["user_id"], values["actor_id"]))
    return sa.insert(_TABLE).from_select(list(_COLUMNS), select).returning(_TABLE.c.id)


_INSERT_UNLESS_SILENCED = _insert_unless_silenced()


def notify(
    user_id: int,
    kind: str,
    *,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: object = None,
    text: str = "",
    url: str | None = None,
) -> Notification | None:
    """Store a notification for `user_id` and announce it after commit; None when a rule
    says it must not be made."""
    if actor_id is not None and actor_id == user_id:
        return None
    row = {
        "user_id": user_id,
        "kind": kind,
        "actor_id": actor_id,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "text": text[:300],
        "url": url,
        "created_at": utcnow(),
    }
    # One statement in the request's transaction (committed or rolled back with it), without
    # the unit of work's flush: every sale, like, follow... makes one of these. With an
    # actor, the block and mute rules are the statement's WHERE.
    statement = _INSERT if actor_id is None else _INSERT_UNLESS_SILENCED
    row_id = db.session.execute(statement, row, bind_arguments={"mapper": Notification}).scalar()
    if row_id is None:
        return None
    notification = Notification(id=row_id, read_at=None, **row)
    publish_after_commit(
        db.session, user_channel(user_id), {"type": "notification", "id": notification.id, "kind": kind}
    )
    return notification


def _visible(user_id: int):
    """Notifications of `user_id` whose actor no block stands between (one query, no lookup)."""
    blocked = sa.select(sa.literal(1)).where(
        sa.or_(
            sa.and_(Block.blocker_id == user_id, Block.blocked_id == Notification.actor_id),
            sa.and_(Block.blocked_id == user_id, Block.blocker_id == Notification.actor_id),
        )
    )
    return sa.and_(Notification.user_id == user_id, ~blocked.exists())


def unread_condition(user_id: int):
    return sa.and_(_visible(user_id), Notification.read_at.is_(None))


# Read by every signed-in page's navigation: built once.
_UNREAD_COUNT = sa.select(sa.func.count()).select_from(Notification).where(
    unread_condition(sa.bindparam("user_id", type_=sa.Integer())))


def unread_count(user_id: int) -> int:
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user_id})


@dataclass
class NotificationView:
    """A notification with its actor, ready for a page, a stream event or the API."""

    notification: Notification
    actor: User | None

    @property
    def id(self) -> int:
        return self.notification.id

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None

    @property
    def verb(self) -> str:
        return KIND_TEXT.get(self.notification.kind, "")

    @property
    def actor_name(self) -> str:
        return self.actor.name if self.actor else "Someone"

    @property
    def message(self) -> str:
        """The sentence a person reads: "Ada liked your post"."""
        if self.verb:
            return f"{self.actor_name} {self.verb}"
        return self.notification.text or "Something happened"


def _with_actors(rows: list[Notification]) -> list[NotificationView]:
    ids = {n.actor_id for n in rows if n.actor_id}
    actors = {}
    if ids:
        users = db.session.scalars(sa.select(User).where(User.id.in_(ids), User.suspended_at.is_(None)))
        actors = {u.id: u for u in users}
    return [NotificationView(n, actors.get(n.actor_id)) for n in rows]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="dreamdot.notifications.cursor")


def _decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        before = _serializer().loads(cursor)
    except BadSignature:
        before = None
    if not isinstance(before, int) or isinstance(before, bool) or before < 1:
        raise Invalid("That page link is damaged or out of date. Start again from the first page.",
                      code="invalid_cursor", fields={"cursor": "Not a valid cursor."})
    return before


def list_notifications(
    user_id: int, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> tuple[list[NotificationView], str | None]:
    """A page of my notifications, newest first (keyset on id), and the next cursor or None."""
    before = _decode_cursor(cursor)
    query = sa.select(Notification).where(_visible(user_id))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    next_cursor = _serializer().dumps(rows[limit - 1].id) if len(rows) > limit else None
    return _with_actors(rows[:limit]), next_cursor


def notifications_after(user_id: int, last_id: int, *, limit: int = MAX_LIMIT) -> list[NotificationView]:
    """What arrived after `last_id`, oldest first: what a reconnecting stream missed."""
    rows = db.session.scalars(
        sa.select(Notification)
        .where(_visible(user_id), Notification.id > last_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return _with_actors(list(rows)[::-1])


def get_notification_views(user_id: int, ids: list[int]) -> list[NotificationView]:
    """These notifications, if they are mine and visible (others are left out), oldest first."""
    if not ids:
        return []
    rows = db.session.scalars(
        sa.select(Notification).where(_visible(user_id), Notification.id.in_(ids)).order_by(Notification.id)
    )
    return _with_actors(list(rows))


def mark_read(user_id: int, ids: list[int] | None = None) -> int:
    """Mark my notifications read: all of them, or only `ids` (others' ids are ignored).
    Returns how many changed."""
    query = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        if not ids:
            return 0
        query = query.where(Notification.id.in_(ids))
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    if result.rowcount:
        _announce_unread_changed(user_id)
    return result.rowcount


def open_notification(user_id: int, notification_id: int) -> Notification:
    """Mark one of my notifications read and return it; NotFound for anyone else's."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound("No such notification.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
        _announce_unread_changed(user_id)
    return notification


def _announce_unread_changed(user_id: int) -> None:
    # The badge in my other tabs follows.
    publish_after_commit(db.session, user_channel(user_id), {"type": "unread"})


def serialize_notification(view: NotificationView) -> dict:
    n = view.notification
    return {
        "id": n.id,
        "kind": n.kind,
        "message": view.message,
        "text": n.text,
        "url": n.url,
        "actor": None if view.actor is None else {
            "id": view.actor.id, "username": view.actor.username, "display_name": view.actor.display_name,
        },
        "target_type": n.target_type,
        "target_id": n.target_id,
        "created_at": n.created_at.isoformat(),
        "read": n.read_at is not None,
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


def announce_new_post(post) -> int:
    """Tell the author's followers (except those who muted the author) that a post appeared:
    their home feed shows "new posts". Call after the post is flushed; the event goes out
    after commit. Returns how many followers are told."""
    muted_by = sa.select(Mute.muter_id).where(Mute.muted_id == post.author_id)
    followers = list(db.session.scalars(
        sa.select(Follow.follower_id).where(Follow.followee_id == post.author_id,
                                            Follow.follower_id.not_in(muted_by))
    ))
    if followers:
        publish_after_commit(db.session, [user_channel(f) for f in followers],
                             {"type": "new_post", "post_id": post.id, "author_id": post.author_id})
    return len(followers)
