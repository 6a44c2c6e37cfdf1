"""The JSON shapes of communities, memberships, threads and replies."""

from __future__ import annotations

from app.models.community import CommunityPost, CommunityReply
from app.services.accounts import serialize_user
from app.services.accounts.follow_counts import follow_counts
from app.services.communities.threads import liked_post_ids, users_by_id


def _authors(ids) -> dict[int, dict]:
    users = users_by_id(ids)
    counts = follow_counts(list(users)) if users else {}
    return {uid: serialize_user(user, counts.get(uid, {})) for uid, user in users.items()}


def serialize_posts(posts: list[CommunityPost], viewer_id: int | None) -> list[dict]:
    authors = _authors(p.author_id for p in posts)
    liked = liked_post_ids(viewer_id, [p.id for p in posts])
    return [
        {
            "id": p.id,
            "community_id": p.community_id,
            "author": authors.get(p.author_id),
            "title": p.title,
            "body_html": p.body_html,
            "pinned": p.pinned,
            "locked": p.locked,
            "reply_count": p.reply_count,
            "like_count": p.like_count,
            "liked_by_me": p.id in liked,
            "last_activity_at": p.last_activity_at.isoformat(),
            "created_at": p.created_at.isoformat(),
        }
        for p in posts
    ]


def serialize_replies(replies: list[CommunityReply]) -> list[dict]:
    authors = _authors(r.author_id for r in replies)
    return [
        {"id": r.id, "post_id": r.post_id, "author": authors.get(r.author_id), "body_html": r.body_html,
         "created_at": r.created_at.isoformat()}
        for r in replies
    ]
