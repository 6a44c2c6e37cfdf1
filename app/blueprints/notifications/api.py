from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.services import notifications
from app.services.errors import Invalid
from app.services.ids import MAX_ID
from app.services.numbers import to_int
from app.services.pagination import clean_limit
from app.web.auth import login_required
from app.web.forms import json_body
from app.web.work import unit_of_work

api_bp = Blueprint("notifications_api", __name__, url_prefix="/api/notifications")

MAX_IDS = 500


@api_bp.get("")
@unit_of_work
@login_required
def index():
    limit = clean_limit(request.args.get("limit"))
    views, next_cursor = notifications.list_notifications(
        current_user.id, cursor=request.args.get("cursor"), limit=limit
    )
    return jsonify(notifications=[notifications.serialize_notification(v) for v in views],
                   next_cursor=next_cursor, unread=notifications.unread_count(current_user.id))


@api_bp.post("/read")
@unit_of_work
@login_required
def mark_read():
    marked = notifications.mark_read(current_user.id, _ids(json_body()))
    return jsonify(marked=marked, unread=notifications.unread_count(current_user.id))


def _ids(data: dict) -> list[int] | None:
    """`ids`: a list of notification ids; absent (or `"all": true`) means all of them."""
    ids = data.get("ids")
    if ids is None:
        return None
    if (not isinstance(ids, list) or len(ids) > MAX_IDS
            or not all(to_int(i, minimum=1, maximum=MAX_ID, strings=False) for i in ids)):
        raise Invalid("ids must be a list of notification ids.", code="validation_failed",
                      fields={"ids": f"A list of up to {MAX_IDS} notification ids."})
    return ids
