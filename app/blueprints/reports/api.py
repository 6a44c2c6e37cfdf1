from flask import Blueprint, jsonify
from flask_login import current_user

from app.services.reports import queue
from app.web.auth import login_required
from app.web.forms import json_body
from app.web.limits import write_limit
from app.web.work import unit_of_work

api_bp = Blueprint("reports_api", __name__, url_prefix="/api/reports")


@api_bp.post("")
@unit_of_work
@login_required
@write_limit
def create():
    data = json_body()
    report = queue.create_report(current_user, data.get("target_type"), data.get("target_id"), data.get("reason"))
    return jsonify(report=queue.serialize_report(report)), 201
