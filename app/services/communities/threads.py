"""Threads (community posts), replies and likes: visibility, blocks, locks and bans."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.community import Community, CommunityPost, CommunityPostLike, CommunityReply
from app.services.accounts.visibility import suspended_user_ids
from app.services.communities import policies
from app.services.communities.cursors import decode_cursor, encode_cursor
from app.services.communities.membership import get_community_by_slug, get_membership
from app.services.errors import Invalid, NotAllowed, NotFound
from app.services.names import one_line_name
from app.services.notifications import notify
from app.services.pagination import clean_limit
from app.services.richtext import html_to_text, markdown_to_html, sanitize_html
from app.services.social.blocks import blocked_user_ids, is_blocked_between

TITLE_MAX, BODY_MAX, REPLY_MAX = 200, 40_000, 10_000
MENTION_RE = re.compile(r"(?<![\w@])@([a-z0-9_]{3,30})\b")


def _viewer_id(viewer) -> int | None:
    return viewer.id if viewer is not None and getattr(viewer, "is_authenticated", False) else None


def get_community_for(slug_or_community, viewer, *, content: bool = True):
    """The community and the viewer's membership; NotFound for a private community's
    content when the viewer is not an active member."""
    community = slug_or_community if isinstance(slug_or_community, Community) else get_community_by_slug(slug_or_community)
    membership = get_membership(community.id, _viewer_id(viewer))
    if content and not policies.can_view_content(community, membership):
        raise NotFound("No such community.", code="community_not_found")
    return community, membership


def clean_body(*, body: str | None = None, body_html: str | None = None, field: str = "body",
               limit: int = BODY_MAX) -> tuple[str, str | None]:
    """Markdown (`body`) or rich-text HTML (`body_html`) to sanitized HTML, and an error."""
    raw = body_html if body_html is not None else body
    if raw is not None and len(raw) > limit:
        return "", f"At most {limit:,} characters."
    html = sanitize_html(body_html) if body_html is not None else markdown_to_html(body)
    if not html_to_text(html):
        return html, "Write something."
    return html, None


def require_poster(community: Community, user):
    """The user's active membership, or the precise refusal (hidden, banned, not a member)."""
    membership = get_membership(community.id, _viewer_id(user))
    if not policies.can_view_content(community, membership):
        raise NotFound("No such community.", code="community_not_found")
    if policies.is_banned(membership):
        raise NotAllowed("You are banned from this community.", code="banned")
    if not policies.can_post(community, membership):
        raise NotAllowed("Join the community to post.", code="not_member")
    return membership


def create_post(community: Community, author, *, title: str | None, body: str | None = None,
                body_html: str | None = None) -> CommunityPost:
    require_poster(community, author)
    title = one_line_name(title)
    html, body_error = clean_body(body=body, body_html=body_html)
    errors = {"title": None if 1 <= len(title) <= TITLE_MAX else f"1 to {TITLE_MAX} characters.", "body": body_error}
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise Invalid("Some fields need another look.", code="validation_failed", fields=errors)
    now = utcnow()
    post = CommunityPost(community_id=community.id, author_id=author.id, title=title, body_html=html,
                         last_activity_at=now, created_at=now)
    db.session.add(post)
    community.last_activity_at = now
    db.session.flush()
    _notify_mentions(community, author, html, post, exclude={author.id})
    return post


def get_post(community: Community, post_id: int, viewer, *, membership=None) -> CommunityPost:
    """A visible thread of `community`, or NotFound (private, removed, another community,
    or a block between the viewer and its author)."""
    if membership is None:
        membership = get_membership(community.id, _viewer_id(viewer))
    post = db.session.get(CommunityPost, post_id) if isinstance(post_id, int) else None
    if (
        post is None
        or post.community_id != community.id
        or not policies.can_view_content(community, membership)
        or post.is_removed
        or is_blocked_between(_viewer_id(viewer), post.author_id)
        or post.author_id in suspended_user_ids()
    ):
        raise NotFound("No such thread.", code="post_not_found")
    return post


def get_post_by_id(post_id: int, viewer) -> tuple[Community, CommunityPost]:
    """A thread by its id alone (for the API and reports): the same hiding rules."""
    post = db.session.get(CommunityPost, post_id)
    if post is None:
        raise NotFound("No such thread.", code="post_not_found")
    community = db.session.get(Community, post.community_id)
    return community, get_post(community, post_id, viewer)


def list_posts(community: Community, viewer, *, cursor: str | None = None, limit=None):
    """Pinned threads first, then newest activity first; keyset-paginated."""
    get_community_for(community, viewer)
    limit = clean_limit(limit)
    query = sa.select(CommunityPost).where(
        CommunityPost.community_id == community.id, CommunityPost.removed_at.is_(None)
    )
    hidden = blocked_user_ids(_viewer_id(viewer)) | suspended_user_ids()
    if hidden:
        query = query.where(CommunityPost.author_id.not_in(hidden))
    after = decode_cursor(cursor, (bool, datetime, int))
    if after:
        pinned, at, post_id = after
        P = CommunityPost
        same_pin = P.pinned.is_(pinned)
        query = query.where(sa.or_(
            P.pinned.is_(False) if pinned else sa.false(),  # past the pinned ones
            sa.and_(same_pin, P.last_activity_at < at),
            sa.and_(same_pin, P.last_activity_at == at, P.id < post_id),
        ))
    order = (CommunityPost.pinned.desc(), CommunityPost.last_activity_at.desc(), CommunityPost.id.desc())
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].pinned, rows[-1].last_activity_at, rows[-1].id)
    return rows, next_cursor


def create_reply(community: Community, post: CommunityPost, author, *, body: str | None = None,
                 body_html: str | None = None) -> CommunityReply:
    membership = get_membership(community.id, author.id)
    post = get_post(community, post.id, author, membership=membership)
    if policies.is_banned(membership):
        raise NotAllowed("You are banned from this community.", code="banned")
    if not policies.can_post(community, membership):
        raise NotAllowed("Join the community to reply.", code="not_member")
    if not policies.can_reply(community, membership, post):
        raise NotAllowed("This thread is locked.", code="thread_locked")
    html, error = clean_body(body=body, body_html=body_html, limit=REPLY_MAX)
    if error:
        raise Invalid("Some fields need another look.", code="validation_failed", fields={"body": error})
    now = utcnow()
    reply = CommunityReply(post_id=post.id, community_id=community.id, author_id=author.id,
                           body_html=html, created_at=now)
    db.session.add(reply)
    post.reply_count += 1
    post.last_activity_at = community.last_activity_at = now
    db.session.flush()
    url = f"/communities/{community.slug}/posts/{post.id}#reply-{reply.id}"
    notify(post.author_id, "community_reply", actor_id=author.id, target_type="community_post",
           target_id=post.id, text=f"replied to {post.title}", url=url)
    _notify_mentions(community, author, html, post, exclude={author.id, post.author_id}, url=url)
    return reply


def list_replies(community: Community, post: CommunityPost, viewer, *, cursor: str | None = None, limit=None):
    """Oldest first, keyset on id; removed replies and blocked authors left out."""
    limit = clean_limit(limit)
    query = sa.select(CommunityReply).where(CommunityReply.post_id == post.id, CommunityReply.removed_at.is_(None))
    hidden = blocked_user_ids(_viewer_id(viewer)) | suspended_user_ids()
    if hidden:
        query = query.where(CommunityReply.author_id.not_in(hidden))
    after = decode_cursor(cursor, (int,))
    if after:
        query = query.where(CommunityReply.id > after[0])
    rows = list(db.session.scalars(query.order_by(CommunityReply.id).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].id)
    return rows, next_cursor


def set_like(community: Community, post: CommunityPost, user, liked: bool) -> dict:
    membership = get_membership(community.id, user.id)
    post = get_post(community, post.id, user, membership=membership)
    if not policies.can_like(community, membership):
        raise NotAllowed("Join the community to like threads.", code="not_member")
    existing = db.session.get(CommunityPostLike, (post.id, user.id))
    if liked and existing is None:
        db.session.add(CommunityPostLike(post_id=post.id, user_id=user.id))
        post.like_count += 1
    elif not liked and existing is not None:
        db.session.delete(existing)
        post.like_count = max(0, post.like_count - 1)
    db.session.flush()
    return {"liked": liked, "like_count": post.like_count}


def liked_post_ids(user_id: int | None, post_ids: list[int]) -> set[int]:
    if not user_id or not post_ids:
        return set()
    return set(db.session.scalars(sa.select(CommunityPostLike.post_id).where(
        CommunityPostLike.user_id == user_id, CommunityPostLike.post_id.in_(post_ids))))


def users_by_id(ids) -> dict[int, User]:
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def _notify_mentions(community, author, html: str, post, *, exclude: set, url: str | None = None) -> None:
    names = {n.lower() for n in MENTION_RE.findall(html_to_text(html).lower())}
    if not names:
        return
    users = db.session.scalars(sa.select(User).where(User.username.in_(names))).all()
    for user in users:
        if user.id in exclude:
            continue
        if not policies.can_view_content(community, get_membership(community.id, user.id)):
            continue
        notify(user.id, "community_mention", actor_id=author.id, target_type="community_post",
               target_id=post.id, text=f"mentioned you in {post.title}",
               url=url or f"/communities/{community.slug}/posts/{post.id}")
