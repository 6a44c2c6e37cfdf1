from flask import Blueprint, abort, send_file

from app.services.errors import NotFound
from app.services.media import storage
from app.web.work import unit_of_work

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.get("/<path:key>")
@unit_of_work
def public(key: str):
    """Public media (avatars, banners, post images) from local storage. Anything outside
    `public/` is served only through signed URLs after an access check."""
    if not key.startswith("public/") or storage().mode != "local":
        abort(404)
    try:
        path = storage().path(key)
    except NotFound:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/webp" if key.endswith(".webp") else None, max_age=86400)
    response.headers["Content-Disposition"] = "inline"
    return response
