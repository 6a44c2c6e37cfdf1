"""Communities: the directory and community pages, threads (threads.py), moderation
(moderation.py) and /api/communities.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.communities import moderation, threads  # noqa: F401 - their views join bp
from app.blueprints.communities.api import api_bp
from app.blueprints.communities.routes import bp
from app.services.communities import policies

__all__ = ["api_bp", "bp"]


@bp.context_processor
def _policies():
    return {"policies": policies}
