"""Who may do what in a community: pure predicates over a community and the viewer's
membership (None for a non-member or an anonymous viewer). Services call them; templates
use them to hide buttons."""

from __future__ import annotations

from app.models.community import Community, CommunityPost, Membership


def is_active(membership: Membership | None) -> bool:
    return membership is not None and membership.status == "active"


def role_of(membership: Membership | None) -> str | None:
    return membership.role if is_active(membership) else None


def is_banned(membership: Membership | None) -> bool:
    return membership is not None and membership.status == "banned"


def is_pending(membership: Membership | None) -> bool:
    return membership is not None and membership.status == "pending"


def can_view_content(community: Community, membership: Membership | None) -> bool:
    """Threads and replies: anyone for a public community, active members for a private one.
    A banned user sees a public community as anyone does, but cannot take part."""
    return community.visibility == "public" or is_active(membership)


def can_join(community: Community, membership: Membership | None) -> bool:
    return membership is None


def can_leave(membership: Membership | None) -> bool:
    return is_pending(membership) or (is_active(membership) and membership.role != "owner")


def can_post(community: Community, membership: Membership | None) -> bool:
    return is_active(membership)


def can_reply(community: Community, membership: Membership | None, post: CommunityPost) -> bool:
    return is_active(membership) and (not post.locked or can_moderate(membership))


def can_like(community: Community, membership: Membership | None) -> bool:
    return is_active(membership)


def can_moderate(membership: Membership | None) -> bool:
    """Remove threads and replies, lock and pin, ban, review requests, read the log."""
    return role_of(membership) in ("owner", "moderator")


def can_manage_roles(membership: Membership | None) -> bool:
    return role_of(membership) == "owner"


def can_edit_community(membership: Membership | None) -> bool:
    return role_of(membership) == "owner"


def can_act_on(actor: Membership | None, target: Membership | None) -> bool:
    """Ban or remove `target`: moderators act on members; only the owner on moderators;
    nobody on the owner."""
    actor_role = role_of(actor)
    if actor_role not in ("owner", "moderator") or target is None:
        return False
    if target.user_id == actor.user_id or target.role == "owner":
        return False
    if target.role == "moderator" and target.status == "active":
        return actor_role == "owner"
    return True

