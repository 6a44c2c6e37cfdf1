from flask import Blueprint, jsonify

from app.openapi import build_spec

bp = Blueprint("docs", __name__)


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(build_spec())
