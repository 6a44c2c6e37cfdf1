from flask import Blueprint

from app.services.social.policies import can_delete_comment, can_delete_post
from app.services.social.text import render_text

bp = Blueprint("posts", __name__)
api_bp = Blueprint("posts_api", __name__, url_prefix="/api/posts")


@bp.app_context_processor
def _social_helpers():
    return {"render_text": render_text, "can_delete_post": can_delete_post,
            "can_delete_comment": can_delete_comment}


from app.blueprints.posts import api, routes  # noqa: E402,F401
