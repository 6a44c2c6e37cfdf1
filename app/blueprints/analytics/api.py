from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.services.analytics.ranges import parse_range
from app.services.analytics.summary import creator_summary
from app.web.auth import login_required
from app.web.work import unit_of_work

api_bp = Blueprint("analytics_api", __name__, url_prefix="/api/analytics")


@api_bp.get("/summary")
@unit_of_work
@login_required
def summary():
    rng = parse_range(request.args.get("from"), request.args.get("to"))
    return jsonify(creator_summary(current_user.id, rng))
