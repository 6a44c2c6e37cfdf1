from flask import Blueprint

bp = Blueprint("items", __name__)
api_bp = Blueprint("items_api", __name__, url_prefix="/api")

from app.blueprints.items import api, browse, engage, manage, routes  # noqa: E402,F401
from app.services.items.policies import can_buy_item, can_edit_item, can_review_item  # noqa: E402

for _policy in (can_buy_item, can_edit_item, can_review_item):
    bp.add_app_template_global(_policy)
