"""Posts: the feeds, a post with its comments, writing and liking (the pages), and
/api/posts.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.posts.api import api_bp
from app.blueprints.posts.routes import bp
from app.services.social.policies import can_delete_comment, can_delete_post
from app.services.social.text import render_text

__all__ = ["api_bp", "bp"]


@bp.app_context_processor
def _social_helpers():
    return {"render_text": render_text, "can_delete_post": can_delete_post,
            "can_delete_comment": can_delete_comment}
