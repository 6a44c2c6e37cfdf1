from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from app.blueprints.posts.routes import HOME_BINDS, home_page
from app.services.discover import front_page
from app.services.health import check_health
from app.web.htmx import render
from app.web.work import read_only, unit_of_work

bp = Blueprint("main", __name__)


@bp.get("/")
@read_only(binds=HOME_BINDS)
def index():
    """Signed in, the home feed itself (no redirect: `/` is where people land after signing
    in); signed out, what DreamDot's creators make, with a way to join."""
    if current_user.is_authenticated:
        return home_page()
    return render("main/index.html", front=front_page(current_user))


@bp.get("/healthz")
@unit_of_work
def healthz():
    report = check_health(current_app)
    return jsonify(report), 200 if report["ok"] else 503
