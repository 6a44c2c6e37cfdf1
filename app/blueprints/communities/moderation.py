"""Members, join requests, roles, bans and the moderation log."""

from flask import request, url_for
from flask_login import current_user

from app.blueprints.communities.feedback import flash_unless_partial
from app.blueprints.communities.forms import ReasonForm
from app.blueprints.communities.routes import bp
from app.services.communities import membership as m
from app.services.communities import moderation, policies
from app.services.communities.threads import get_community_for, users_by_id
from app.services.errors import NotAllowed
from app.web.auth import login_required
from app.web.context import current_origin
from app.web.htmx import redirect_to, render, wants_partial
from app.web.work import unit_of_work


def _moderated(slug: str):
    community, mine = get_community_for(slug, current_user)
    if not policies.can_moderate(mine):
        raise NotAllowed("Only the community's moderators can see this.")
    return community, mine


def _members_page(community, mine):
    members, banned = m.list_members(community), m.list_members(community, status="banned")
    users = users_by_id([x.user_id for x in members + banned])
    return render("communities/members.html", "communities/_members.html", community=community, mine=mine,
                  members=members, banned=banned, users=users, reason_form=ReasonForm())


@bp.get("/<slug>/members")
@unit_of_work
@login_required
def members(slug: str):
    community, mine = get_community_for(slug, current_user)
    return _members_page(community, mine)


def _after_member_action(community):
    if wants_partial():
        return _members_page(community, m.get_membership(community.id, current_user.id))
    return redirect_to(url_for("communities.members", slug=community.slug))


@bp.post("/<slug>/members/<int:user_id>/role")
@unit_of_work
@login_required
def set_role(slug: str, user_id: int):
    community, _ = get_community_for(slug, current_user)
    m.set_role(community, current_user, user_id, request.form.get("role", ""), origin=current_origin())
    flash_unless_partial("Role changed.")
    return _after_member_action(community)


@bp.post("/<slug>/members/<int:user_id>/transfer")
@unit_of_work
@login_required
def transfer(slug: str, user_id: int):
    community, _ = get_community_for(slug, current_user)
    m.transfer_ownership(community, current_user, user_id, origin=current_origin())
    flash_unless_partial("Ownership transferred.")
    return _after_member_action(community)


@bp.post("/<slug>/members/<int:user_id>/remove")
@unit_of_work
@login_required
def remove(slug: str, user_id: int):
    community, _ = get_community_for(slug, current_user)
    m.remove_member(community, current_user, user_id, origin=current_origin())
    flash_unless_partial("Member removed.")
    return _after_member_action(community)


@bp.post("/<slug>/members/<int:user_id>/ban")
@unit_of_work
@login_required
def ban(slug: str, user_id: int):
    community, _ = get_community_for(slug, current_user)
    m.ban_member(community, current_user, user_id, request.form.get("reason", ""), origin=current_origin())
    flash_unless_partial("Banned.")
    return _after_member_action(community)


@bp.post("/<slug>/members/<int:user_id>/unban")
@unit_of_work
@login_required
def unban(slug: str, user_id: int):
    community, _ = get_community_for(slug, current_user)
    m.unban_member(community, current_user, user_id, origin=current_origin())
    flash_unless_partial("Ban lifted.")
    return _after_member_action(community)


def _requests_page(community):
    pending = m.list_requests(community, current_user)
    return render("communities/requests.html", "communities/_requests.html", community=community,
                  pending=pending, users=users_by_id(r.user_id for r in pending))


@bp.get("/<slug>/requests")
@unit_of_work
@login_required
def requests(slug: str):
    community, _ = _moderated(slug)
    return _requests_page(community)


@bp.post("/<slug>/requests/<int:user_id>/<any(approve, refuse):decision>")
@unit_of_work
@login_required
def decide(slug: str, user_id: int, decision: str):
    community, _ = _moderated(slug)
    review = m.approve_request if decision == "approve" else m.refuse_request
    review(community, current_user, user_id, origin=current_origin())
    flash_unless_partial("Request approved." if decision == "approve" else "Request refused.")
    if wants_partial():
        return _requests_page(community)
    return redirect_to(url_for("communities.requests", slug=community.slug))


@bp.get("/<slug>/log")
@unit_of_work
@login_required
def log(slug: str):
    community, _ = _moderated(slug)
    events, next_cursor = moderation.moderation_log(community, current_user, cursor=request.args.get("cursor"))
    users = users_by_id({e.user_id for e in events} | {e.details.get("subject_user_id") for e in events} - {None})
    return render("communities/log.html", "communities/_log.html", community=community, events=events,
                  next_cursor=next_cursor, users=users)
