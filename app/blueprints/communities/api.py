"""The communities JSON API (api.md): the same services as the pages."""

from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.services.communities import directory, moderation
from app.services.communities import membership as m
from app.services.communities import threads as t
from app.services.communities.serializers import serialize_posts, serialize_replies
from app.services.ids import MAX_ID
from app.services.numbers import parse_int
from app.web.auth import login_required
from app.web.context import current_origin
from app.web.forms import json_body, text_field
from app.web.limits import write_limit
from app.web.uploads import upload_or_none
from app.web.work import unit_of_work

api_bp = Blueprint("communities_api", __name__, url_prefix="/api/communities")


def _viewer_id():
    return current_user.id if current_user.is_authenticated else None


def _user_id(data: dict) -> int:
    return parse_int(data.get("user_id"), field="user_id", minimum=1, maximum=MAX_ID,
                     message="user_id must be a number.", reason="A user id.")


@api_bp.get("")
@unit_of_work
def index():
    communities, next_cursor = directory.list_communities(
        q=request.args.get("q"), sort=request.args.get("sort"), cursor=request.args.get("cursor"),
        limit=request.args.get("limit"))
    return jsonify(communities=[directory.serialize_community(c) for c in communities], next_cursor=next_cursor)


@api_bp.post("")
@unit_of_work
@login_required
@write_limit
def create():
    data = json_body()
    community = directory.create_community(
        current_user, name=text_field(data, "name", max_length=1000), slug=text_field(data, "slug", max_length=1000),
        description=text_field(data, "description", max_length=10_000),
        visibility=text_field(data, "visibility", max_length=20) or "public",
        icon=upload_or_none(request.files.get("icon")), banner=upload_or_none(request.files.get("banner")),
        origin=current_origin())
    mine = m.get_membership(community.id, current_user.id)
    return jsonify(community=directory.serialize_community(community),
                   membership=directory.serialize_membership(mine)), 201


@api_bp.get("/<slug>")
@unit_of_work
def show(slug: str):
    community, mine = t.get_community_for(slug, current_user, content=False)
    return jsonify(community=directory.serialize_community(community),
                   membership=directory.serialize_membership(mine))


@api_bp.post("/<slug>/join")
@unit_of_work
@login_required
@write_limit
def join(slug: str):
    membership = m.join_community(m.get_community_by_slug(slug), current_user)
    return jsonify(membership=directory.serialize_membership(membership))


@api_bp.post("/<slug>/leave")
@unit_of_work
@login_required
@write_limit
def leave(slug: str):
    m.leave_community(m.get_community_by_slug(slug), current_user)
    return jsonify(membership=None)


@api_bp.get("/<slug>/posts")
@unit_of_work
def posts(slug: str):
    community, _ = t.get_community_for(slug, current_user)
    rows, next_cursor = t.list_posts(community, current_user, cursor=request.args.get("cursor"),
                                     limit=request.args.get("limit"))
    return jsonify(posts=serialize_posts(rows, _viewer_id()), next_cursor=next_cursor)


@api_bp.post("/<slug>/posts")
@unit_of_work
@login_required
@write_limit
def create_post(slug: str):
    community, _ = t.get_community_for(slug, current_user)
    data = json_body()
    post = t.create_post(community, current_user, title=text_field(data, "title", max_length=1000),
                         body=text_field(data, "body", max_length=100_000),
                         body_html=text_field(data, "body_html", max_length=100_000))
    return jsonify(post=serialize_posts([post], current_user.id)[0]), 201


@api_bp.get("/<slug>/posts/<int:post_id>")
@unit_of_work
def show_post(slug: str, post_id: int):
    community, mine = t.get_community_for(slug, current_user)
    post = t.get_post(community, post_id, current_user, membership=mine)
    return jsonify(post=serialize_posts([post], _viewer_id())[0])


@api_bp.get("/posts/<int:post_id>")
@unit_of_work
def show_post_by_id(post_id: int):
    community, post = t.get_post_by_id(post_id, current_user)
    return jsonify(post=serialize_posts([post], _viewer_id())[0], community=directory.serialize_community(community))


@api_bp.get("/<slug>/posts/<int:post_id>/replies")
@unit_of_work
def replies(slug: str, post_id: int):
    community, mine = t.get_community_for(slug, current_user)
    post = t.get_post(community, post_id, current_user, membership=mine)
    rows, next_cursor = t.list_replies(community, post, current_user, cursor=request.args.get("cursor"),
                                       limit=request.args.get("limit"))
    return jsonify(replies=serialize_replies(rows), next_cursor=next_cursor)


@api_bp.post("/<slug>/posts/<int:post_id>/replies")
@unit_of_work
@login_required
@write_limit
def create_reply(slug: str, post_id: int):
    community, mine = t.get_community_for(slug, current_user)
    post = t.get_post(community, post_id, current_user, membership=mine)
    data = json_body()
    reply = t.create_reply(community, post, current_user, body=text_field(data, "body", max_length=100_000),
                           body_html=text_field(data, "body_html", max_length=100_000))
    return jsonify(reply=serialize_replies([reply])[0]), 201


@api_bp.route("/<slug>/posts/<int:post_id>/likes", methods=["POST", "DELETE"])
@unit_of_work
@login_required
@write_limit
def like(slug: str, post_id: int):
    community, mine = t.get_community_for(slug, current_user)
    post = t.get_post(community, post_id, current_user, membership=mine)
    return jsonify(t.set_like(community, post, current_user, request.method == "POST"))


@api_bp.post("/<slug>/posts/<int:post_id>/<any(lock, unlock, pin, unpin):action>")
@unit_of_work
@login_required
@write_limit
def moderate_post(slug: str, post_id: int, action: str):
    community, _ = t.get_community_for(slug, current_user)
    change = moderation.set_locked if action in ("lock", "unlock") else moderation.set_pinned
    post = change(community, current_user, post_id, action in ("lock", "pin"), origin=current_origin())
    return jsonify(post=serialize_posts([post], current_user.id)[0])


@api_bp.post("/<slug>/posts/<int:post_id>/remove")
@unit_of_work
@login_required
@write_limit
def remove_post(slug: str, post_id: int):
    community, _ = t.get_community_for(slug, current_user)
    reason = text_field(json_body(), "reason", max_length=1000)
    moderation.remove_post(community, current_user, post_id, reason, origin=current_origin())
    return "", 204


@api_bp.post("/<slug>/replies/<int:reply_id>/remove")
@unit_of_work
@login_required
@write_limit
def remove_reply(slug: str, reply_id: int):
    community, _ = t.get_community_for(slug, current_user)
    reason = text_field(json_body(), "reason", max_length=1000)
    moderation.remove_reply(community, current_user, reply_id, reason, origin=current_origin())
    return "", 204


@api_bp.get("/<slug>/members")
@unit_of_work
def members(slug: str):
    community, _ = t.get_community_for(slug, current_user)
    return jsonify(members=[directory.serialize_membership(x) for x in m.list_members(community)])


@api_bp.get("/<slug>/requests")
@unit_of_work
@login_required
def requests(slug: str):
    community, _ = t.get_community_for(slug, current_user)
    return jsonify(requests=[directory.serialize_membership(x) for x in m.list_requests(community, current_user)])


MEMBER_ACTIONS = {
    "approve": lambda c, u, data, o: m.approve_request(c, current_user, u, origin=o),
    "refuse": lambda c, u, data, o: m.refuse_request(c, current_user, u, origin=o),
    "role": lambda c, u, data, o: m.set_role(c, current_user, u, text_field(data, "role", required=True), origin=o),
    "transfer": lambda c, u, data, o: m.transfer_ownership(c, current_user, u, origin=o),
    "remove": lambda c, u, data, o: m.remove_member(c, current_user, u, origin=o),
    "ban": lambda c, u, data, o: m.ban_member(c, current_user, u, text_field(data, "reason", max_length=1000) or "",
                                              origin=o),
    "unban": lambda c, u, data, o: m.unban_member(c, current_user, u, origin=o),
}


@api_bp.post("/<slug>/members/<any(approve, refuse, role, transfer, remove, ban, unban):action>")
@unit_of_work
@login_required
@write_limit
def member_action(slug: str, action: str):
    """One endpoint per moderation verb on a user: body `user_id` (and `role` or `reason`)."""
    community, _ = t.get_community_for(slug, current_user)
    data = json_body()
    MEMBER_ACTIONS[action](community, _user_id(data), data, current_origin())
    return jsonify(membership=directory.serialize_membership(m.get_membership(community.id, _user_id(data))))


@api_bp.get("/<slug>/log")
@unit_of_work
@login_required
def log(slug: str):
    community, _ = t.get_community_for(slug, current_user)
    events, next_cursor = moderation.moderation_log(community, current_user, cursor=request.args.get("cursor"),
                                                    limit=request.args.get("limit"))
    return jsonify(events=[{"id": e.id, "action": e.action.removeprefix("community."), "user_id": e.user_id,
                            "details": e.details, "created_at": e.created_at.isoformat()} for e in events],
                   next_cursor=next_cursor)
