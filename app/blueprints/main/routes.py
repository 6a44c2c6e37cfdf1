from flask import Blueprint, current_app, jsonify

from app.services.health import check_health
from app.web.htmx import render
from app.web.work import unit_of_work

bp = Blueprint("main", __name__)


@bp.get("/")
@unit_of_work
def index():
    return render("main/index.html")


@bp.get("/healthz")
@unit_of_work
def healthz():
    report = check_health(current_app)
    return jsonify(report), 200 if report["ok"] else 503
