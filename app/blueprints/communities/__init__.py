from flask import Blueprint

from app.services.communities import policies

bp = Blueprint("communities", __name__, url_prefix="/communities")
api_bp = Blueprint("communities_api", __name__, url_prefix="/api/communities")

from app.blueprints.communities import api, moderation, routes, threads  # noqa: E402,F401


@bp.context_processor
def _policies():
    return {"policies": policies}

