"""JSON API: /api/social (api.md): likes, follow, block, mute, comments."""

from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.services.social import blocks, comments, follows, likes, mutes
from app.services.social.people import get_target_user
from app.services.social.sql import parse_id
from app.web.auth import login_required
from app.web.forms import json_body, text_field
from app.web.limits import write_limit
from app.web.work import unit_of_work

api_bp = Blueprint("social_api", __name__, url_prefix="/api/social")


def _data() -> dict:
    """The JSON body, form fields, and for DELETE also the query string."""
    return {**request.args.to_dict(), **json_body()}


@api_bp.post("/likes")
@unit_of_work
@login_required
@write_limit
def like():
    return jsonify(likes.like_post(current_user, parse_id(_data().get("post_id"))))


@api_bp.delete("/likes")
@unit_of_work
@login_required
@write_limit
def unlike():
    return jsonify(likes.unlike_post(current_user, parse_id(_data().get("post_id"))))


@api_bp.post("/follow")
@unit_of_work
@login_required
@write_limit
def follow():
    return jsonify(following=follows.follow_user(current_user, get_target_user(_data(), current_user)))


@api_bp.delete("/follow")
@unit_of_work
@login_required
@write_limit
def unfollow():
    return jsonify(following=follows.unfollow_user(current_user, get_target_user(_data(), current_user)))


@api_bp.post("/block")
@unit_of_work
@login_required
@write_limit
def block():
    target = get_target_user(_data(), current_user, hide_blocked=False)
    return jsonify(blocked=blocks.block_user(current_user, target))


@api_bp.delete("/block")
@unit_of_work
@login_required
@write_limit
def unblock():
    target = get_target_user(_data(), current_user, hide_blocked=False)
    return jsonify(blocked=blocks.unblock_user(current_user, target.id))


@api_bp.post("/mute")
@unit_of_work
@login_required
@write_limit
def mute():
    return jsonify(muted=mutes.mute_user(current_user, get_target_user(_data(), current_user)))


@api_bp.delete("/mute")
@unit_of_work
@login_required
@write_limit
def unmute():
    target = get_target_user(_data(), current_user, hide_blocked=False)
    return jsonify(muted=mutes.unmute_user(current_user, target.id))


@api_bp.post("/comments")
@unit_of_work
@login_required
@write_limit
def create_comment():
    data = _data()
    comment = comments.add_comment(current_user, data.get("post_id"),
                                   text_field(data, "body", required=True, max_length=100_000))
    entry = comments.CommentEntry(comment, current_user)
    return jsonify(comment=comments.serialize_comment(entry)), 201


@api_bp.get("/comments")
@unit_of_work
def list_comments():
    args = request.args
    entries, next_cursor = comments.list_comments(args.get("post_id"), current_user,
                                                  cursor=args.get("cursor"), limit=args.get("limit"))
    return jsonify(comments=[comments.serialize_comment(e) for e in entries], next_cursor=next_cursor)


@api_bp.delete("/comments")
@unit_of_work
@login_required
@write_limit
def destroy_comment():
    comments.delete_comment(current_user, _data().get("comment_id"))
    return "", 204
