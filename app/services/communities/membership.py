"""Membership: joining, requests, leaving, roles, ownership and bans.

The chat capability relies on `is_member`, `member_ids` and the two signals: `member_joined`
is sent whenever a user becomes an active member (creation, joining a public community, an
approved request) and `member_left` whenever one stops being one (leaving, removal, ban);
sender is the Community, with `user_id=`."""

from __future__ import annotations

import sqlalchemy as sa
from blinker import signal
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.community import Community, Membership
from app.services import NO_ORIGIN, Origin
from app.services.audit import record_event
from app.services.communities import policies
from app.services.errors import Conflict, Invalid, NotAllowed, NotFound
from app.services.notifications import notify

member_joined = signal("community-member-joined")
member_left = signal("community-member-left")


def get_community_by_slug(slug: str) -> Community:
    community = db.session.scalar(sa.select(Community).where(Community.slug == (slug or "").lower()))
    if community is None:
        raise NotFound("No such community.", code="community_not_found")
    return community


def get_membership(community_id: int, user_id: int | None) -> Membership | None:
    if not user_id:
        return None
    return db.session.get(Membership, (community_id, user_id))


def is_member(community_id: int, user_id: int | None) -> bool:
    return policies.is_active(get_membership(community_id, user_id))


def member_ids(community_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Membership.user_id)
            .where(Membership.community_id == community_id, Membership.status == "active")
            .order_by(Membership.user_id)
        )
    )


def community_ids_of(user_id: int) -> list[int]:
    """The communities `user_id` is an active member of."""
    return list(
        db.session.scalars(
            sa.select(Membership.community_id)
            .where(Membership.user_id == user_id, Membership.status == "active")
            .order_by(Membership.community_id)
        )
    )


def _activate(community: Community, membership: Membership) -> None:
    membership.status = "active"
    community.member_count += 1
    db.session.flush()
    member_joined.send(community, user_id=membership.user_id)


def _deactivate(community: Community, membership: Membership) -> None:
    """Call while `membership` is still active, before it is deleted or banned."""
    community.member_count = max(0, community.member_count - 1)
    member_left.send(community, user_id=membership.user_id)


def add_owner(community: Community, owner_id: int) -> Membership:
    membership = Membership(community_id=community.id, user_id=owner_id, role="owner", status="pending")
    db.session.add(membership)
    _activate(community, membership)
    return membership


def join_community(community: Community, user) -> Membership:
    """Active at once for a public community; a pending request for a private one."""
    membership = get_membership(community.id, user.id)
    if policies.is_banned(membership):
        raise NotAllowed("You are banned from this community.", code="banned")
    if policies.is_active(membership):
        raise Conflict("You are already a member.", code="already_member")
    if policies.is_pending(membership):
        raise Conflict("Your request to join is already waiting.", code="already_requested")
    membership = Membership(community_id=community.id, user_id=user.id, role="member", status="pending")
    try:
        with db.session.begin_nested():  # a double click racing itself meets the primary key
            db.session.add(membership)
    except IntegrityError:
        raise Conflict("You are already a member or have asked to join.", code="already_member") from None
    if community.visibility == "public":
        _activate(community, membership)
    else:
        for moderator_id in moderator_ids(community.id):
            notify(moderator_id, "community_join_request", actor_id=user.id, target_type="community",
                   target_id=community.id, text=f"asked to join {community.name}",
                   url=f"/communities/{community.slug}/requests")
    return membership


def leave_community(community: Community, user) -> None:
    """Leave, or withdraw a pending request. The owner transfers ownership first."""
    membership = get_membership(community.id, user.id)
    if membership is None or policies.is_banned(membership):
        raise Conflict("You are not a member.", code="not_member")
    if membership.role == "owner" and membership.status == "active":
        raise Conflict("Transfer ownership to another member before leaving.", code="owner_must_transfer")
    if policies.is_active(membership):
        _deactivate(community, membership)
    db.session.delete(membership)
    db.session.flush()


def moderator_ids(community_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.community_id == community_id,
                Membership.status == "active",
                Membership.role.in_(("owner", "moderator")),
            )
        )
    )


def _require(community: Community, actor, predicate, message: str) -> Membership:
    membership = get_membership(community.id, actor.id)
    if not predicate(membership):
        raise NotAllowed(message, code="forbidden")
    return membership


def _audit(action: str, community: Community, actor, origin: Origin, **details) -> None:
    record_event(f"community.{action}", user_id=actor.id, origin=origin, target_type="community",
                 target_id=community.id, **details)


def list_requests(community: Community, actor) -> list[Membership]:
    _require(community, actor, policies.can_moderate, "Only moderators review join requests.")
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.community_id == community.id, Membership.status == "pending")
            .order_by(Membership.created_at, Membership.user_id)
        )
    )


def _pending(community: Community, user_id: int) -> Membership:
    membership = get_membership(community.id, user_id)
    if not policies.is_pending(membership):
        raise NotFound("There is no such request.", code="request_not_found")
    return membership


def approve_request(community: Community, actor, user_id: int, *, origin: Origin = NO_ORIGIN) -> Membership:
    _require(community, actor, policies.can_moderate, "Only moderators review join requests.")
    membership = _pending(community, user_id)
    _activate(community, membership)
    _audit("request_approved", community, actor, origin, subject_user_id=user_id)
    notify(user_id, "community_request_approved", actor_id=actor.id, target_type="community",
           target_id=community.id, text=f"approved your request to join {community.name}",
           url=f"/communities/{community.slug}")
    return membership


def refuse_request(community: Community, actor, user_id: int, *, origin: Origin = NO_ORIGIN) -> None:
    _require(community, actor, policies.can_moderate, "Only moderators review join requests.")
    membership = _pending(community, user_id)
    db.session.delete(membership)
    db.session.flush()
    _audit("request_refused", community, actor, origin, subject_user_id=user_id)
    # The community, not the moderator, speaks: naming who refused invites a grudge.
    notify(user_id, "community_request_refused", target_type="community", target_id=community.id,
           text=f"Your request to join {community.name} was not accepted.",
           url=f"/communities/{community.slug}")


def _active_target(community: Community, user_id: int) -> Membership:
    membership = get_membership(community.id, user_id)
    if not policies.is_active(membership):
        raise NotFound("That user is not a member.", code="member_not_found")
    return membership


def set_role(community: Community, actor, user_id: int, role: str, *, origin: Origin = NO_ORIGIN) -> Membership:
    """The owner makes a member a moderator or a moderator a member."""
    if role not in ("moderator", "member"):
        raise Invalid("Role must be moderator or member.", code="validation_failed",
                      fields={"role": "Choose moderator or member."})
    _require(community, actor, policies.can_manage_roles, "Only the owner gives and takes roles.")
    membership = _active_target(community, user_id)
    if membership.role == "owner":
        raise Conflict("The owner's role changes only by transferring ownership.", code="owner_role")
    if membership.role == role:
        return membership
    previous = membership.role
    membership.role = role
    db.session.flush()
    _audit("role_changed", community, actor, origin, subject_user_id=user_id, role=role, previous=previous)
    notify(user_id, "community_role_changed", actor_id=actor.id, target_type="community",
           target_id=community.id, text=f"made you {role} of {community.name}",
           url=f"/communities/{community.slug}")
    return membership


def transfer_ownership(community: Community, actor, user_id: int, *, origin: Origin = NO_ORIGIN) -> Membership:
    """The owner hands the community to an active member and becomes a moderator."""
    current = _require(community, actor, policies.can_manage_roles, "Only the owner transfers ownership.")
    if user_id == actor.id:
        raise Conflict("You already own this community.", code="already_owner")
    successor = _active_target(community, user_id)
    current.role = "moderator"
    successor.role = "owner"
    community.owner_id = user_id
    db.session.flush()
    _audit("ownership_transferred", community, actor, origin, subject_user_id=user_id)
    notify(user_id, "community_role_changed", actor_id=actor.id, target_type="community",
           target_id=community.id, text=f"made you owner of {community.name}",
           url=f"/communities/{community.slug}")
    return successor


def remove_member(community: Community, actor, user_id: int, *, origin: Origin = NO_ORIGIN) -> None:
    actor_membership = get_membership(community.id, actor.id)
    target = _active_target(community, user_id)
    if not policies.can_act_on(actor_membership, target):
        raise NotAllowed("You cannot remove this member.", code="forbidden")
    _deactivate(community, target)
    db.session.delete(target)
    db.session.flush()
    _audit("member_removed", community, actor, origin, subject_user_id=user_id)


def ban_member(community: Community, actor, user_id: int, reason: str = "", *, origin: Origin = NO_ORIGIN) -> Membership:
    """Ban a member, a pending requester or anyone else; they cannot rejoin or post."""
    actor_membership = get_membership(community.id, actor.id)
    if not policies.can_moderate(actor_membership):
        raise NotAllowed("Only moderators ban.", code="forbidden")
    reason = (reason or "").strip()[:500]
    target = get_membership(community.id, user_id)
    if policies.is_banned(target):
        raise Conflict("That user is already banned.", code="already_banned")
    if target is None and db.session.get(User, user_id) is None:
        raise NotFound("No such user.", code="user_not_found")
    outsider = target is None and user_id not in (actor.id, community.owner_id)
    if not (outsider or policies.can_act_on(actor_membership, target)):
        raise NotAllowed("You cannot ban this user.", code="forbidden")
    if target is None:
        target = Membership(community_id=community.id, user_id=user_id, role="member", status="pending")
        db.session.add(target)
    if policies.is_active(target):
        _deactivate(community, target)
    target.status, target.role = "banned", "member"
    target.banned_by_id, target.ban_reason = actor.id, reason or None
    target.updated_at = utcnow()
    db.session.flush()
    _audit("member_banned", community, actor, origin, subject_user_id=user_id, reason=reason)
    return target


def unban_member(community: Community, actor, user_id: int, *, origin: Origin = NO_ORIGIN) -> None:
    _require(community, actor, policies.can_moderate, "Only moderators unban.")
    target = get_membership(community.id, user_id)
    if not policies.is_banned(target):
        raise NotFound("That user is not banned.", code="ban_not_found")
    db.session.delete(target)
    db.session.flush()
    _audit("member_unbanned", community, actor, origin, subject_user_id=user_id)


def list_members(community: Community, *, status: str = "active") -> list[Membership]:
    order = sa.case({"owner": 0, "moderator": 1}, value=Membership.role, else_=2)
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.community_id == community.id, Membership.status == status)
            .order_by(order, Membership.created_at, Membership.user_id)
        )
    )
