from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.services import accounts
from app.services.social.people import get_visible_user
from app.web.auth import login_required
from app.web.context import current_origin
from app.web.forms import json_body, text_field
from app.web.uploads import image_upload_limit, upload_or_none
from app.web.work import unit_of_work

api_bp = Blueprint("users_api", __name__, url_prefix="/api/users")


@api_bp.get("/<username>")
@unit_of_work
def show(username: str):
    user = get_visible_user(username, current_user)
    profile = accounts.profile_view(user, viewer=current_user)
    return jsonify(user=profile["user"], is_following=profile["is_following"],
                   is_blocked=profile["is_blocked"])


@api_bp.patch("/me")
@unit_of_work
@image_upload_limit(images=2)
@login_required
def update_me():
    data = json_body()
    user = accounts.update_profile(
        current_user,
        display_name=text_field(data, "display_name", max_length=1000),
        bio=text_field(data, "bio", max_length=10_000),
        avatar=upload_or_none(request.files.get("avatar")),
        banner=upload_or_none(request.files.get("banner")),
        origin=current_origin(),
    )
    return jsonify(user=accounts.serialize_user(user))
