from flask import jsonify, request
from flask_login import current_user

from app.blueprints.analytics import api_bp
from app.services.analytics.ranges import parse_range
from app.services.analytics.summary import creator_summary
from app.web.auth import login_required


@api_bp.get("/summary")
@login_required
def summary():
    rng = parse_range(request.args.get("from"), request.args.get("to"))
    return jsonify(creator_summary(current_user.id, rng))
