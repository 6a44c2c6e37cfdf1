"""The marketplace: item pages, browsing (browse.py), reviews, favorites and collections
(engage.py), the edit page's lists (manage.py) and the JSON API.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.items import browse, engage, manage  # noqa: F401 - their views join bp
from app.blueprints.items.api import api_bp
from app.blueprints.items.routes import bp
from app.services.items.policies import can_buy_item, can_edit_item, can_review_item

__all__ = ["api_bp", "bp"]

for _policy in (can_buy_item, can_edit_item, can_review_item):
    bp.add_app_template_global(_policy)
