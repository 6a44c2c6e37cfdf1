"""Moderation of threads and replies, and the moderation log (the `audit` bind)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.models.base import utcnow
from app.models.community import Community, CommunityPost, CommunityReply
from app.services import NO_ORIGIN, Origin
from app.services.audit import record_event
from app.services.communities import policies
from app.services.communities.cursors import decode_cursor, encode_cursor
from app.services.communities.membership import get_membership
from app.services.errors import Invalid, NotAllowed, NotFound
from app.services.pagination import clean_limit


def _moderator(community: Community, actor):
    membership = get_membership(community.id, actor.id)
    if not policies.can_moderate(membership):
        if not policies.can_view_content(community, membership):
            raise NotFound("No such community.", code="community_not_found")
        raise NotAllowed("Only moderators do that.", code="forbidden")
    return membership


def _thread(community: Community, post_id: int) -> CommunityPost:
    post = db.session.get(CommunityPost, post_id)
    if post is None or post.community_id != community.id or post.is_removed:
        raise NotFound("No such thread.", code="post_not_found")
    return post


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500:
        raise Invalid("Give a reason (at most 500 characters).", code="validation_failed",
                      fields={"reason": "A reason of 1 to 500 characters."})
    return reason


def _audit(action, community, actor, origin, **details) -> None:
    record_event(f"community.{action}", user_id=actor.id, origin=origin, target_type="community",
                 target_id=community.id, **details)


AUTHOR_DELETED = "Deleted by its author."


def _may_remove(community: Community, actor, author_id: int) -> bool:
    """False when the author removes their own words (no reason asked), True for a moderator
    removing someone else's; refused otherwise."""
    membership = get_membership(community.id, actor.id)
    if not policies.can_view_content(community, membership):
        raise NotFound("No such community.", code="community_not_found")
    if author_id == actor.id:
        return False
    if not policies.can_moderate(membership):
        raise NotAllowed("Only moderators and the author remove this.", code="forbidden")
    return True


def remove_post(community: Community, actor, post_id: int, reason: str | None, *,
                origin: Origin = NO_ORIGIN) -> CommunityPost:
    """A moderator removes any thread with a reason; its author deletes their own, no reason asked."""
    post = db.session.get(CommunityPost, post_id)
    if post is None or post.community_id != community.id:
        _moderator(community, actor)  # a stranger learns nothing about the id
        raise NotFound("No such thread.", code="post_not_found")
    as_moderator = _may_remove(community, actor, post.author_id)
    post = _thread(community, post_id)
    post.removed_reason = _reason(reason) if as_moderator else AUTHOR_DELETED
    post.removed_at, post.removed_by_id = utcnow(), actor.id
    db.session.flush()
    _audit("post_removed" if as_moderator else "post_deleted_by_author", community, actor, origin,
           post_id=post.id, title=post.title, author_id=post.author_id, reason=post.removed_reason)
    return post


def remove_reply(community: Community, actor, reply_id: int, reason: str | None, *,
                 origin: Origin = NO_ORIGIN) -> CommunityReply:
    """As `remove_post`, for a reply."""
    reply = db.session.get(CommunityReply, reply_id)
    if reply is None or reply.community_id != community.id:
        _moderator(community, actor)
        raise NotFound("No such reply.", code="reply_not_found")
    as_moderator = _may_remove(community, actor, reply.author_id)
    if reply.is_removed:
        raise NotFound("No such reply.", code="reply_not_found")
    reply.removed_reason = _reason(reason) if as_moderator else AUTHOR_DELETED
    reply.removed_at, reply.removed_by_id = utcnow(), actor.id
    post = db.session.get(CommunityPost, reply.post_id)
    post.reply_count = max(0, post.reply_count - 1)
    db.session.flush()
    _audit("reply_removed" if as_moderator else "reply_deleted_by_author", community, actor, origin,
           post_id=reply.post_id, reply_id=reply.id, author_id=reply.author_id, reason=reply.removed_reason)
    return reply


def set_locked(community: Community, actor, post_id: int, locked: bool, *, origin: Origin = NO_ORIGIN) -> CommunityPost:
    _moderator(community, actor)
    post = _thread(community, post_id)
    if post.locked != locked:
        post.locked = locked
        db.session.flush()
        _audit("post_locked" if locked else "post_unlocked", community, actor, origin, post_id=post.id,
               title=post.title)
    return post


def set_pinned(community: Community, actor, post_id: int, pinned: bool, *, origin: Origin = NO_ORIGIN) -> CommunityPost:
    _moderator(community, actor)
    post = _thread(community, post_id)
    if post.pinned != pinned:
        post.pinned = pinned
        db.session.flush()
        _audit("post_pinned" if pinned else "post_unpinned", community, actor, origin, post_id=post.id,
               title=post.title)
    return post


def moderation_log(community: Community, actor, *, cursor: str | None = None, limit=None):
    """Every moderation action in this community, newest first (moderators only)."""
    _moderator(community, actor)
    limit = clean_limit(limit)
    query = sa.select(AuditEvent).where(
        AuditEvent.target_type == "community", AuditEvent.target_id == str(community.id),
        AuditEvent.action.like("community.%"),
    )
    after = decode_cursor(cursor, (int,))
    if after:
        query = query.where(AuditEvent.id < after[0])
    rows = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].id)
    return rows, next_cursor
