from flask import Blueprint, jsonify

from app.openapi import build_spec
from app.web.work import unit_of_work

bp = Blueprint("docs", __name__)


@bp.get("/api/openapi.json")
@unit_of_work
def openapi():
    return jsonify(build_spec())
