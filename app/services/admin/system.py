"""The system page: where every store lives, what is configured, and versions."""

from __future__ import annotations

import platform
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from app.extensions import db
from app.services.stores import embedded_warnings, store_modes


def app_version() -> str:
    """The version in pyproject.toml (the app is not installed as a package)."""
    try:
        with open(Path(__file__).resolve().parents[3] / "pyproject.toml", "rb") as handle:
            return tomllib.load(handle)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def system_report(app) -> dict:
    modes = store_modes(app)
    binds = [
        {"name": key, "server": modes[f"bind:{key}"],
         "url": engine.url.render_as_string(hide_password=True)}
        for key, engine in sorted(db.engines.items(), key=lambda kv: kv[0] or "") if key
    ]
    cfg = app.config
    return {
        "binds": binds,
        "mongodb": modes["mongodb"],
        "broker": modes["broker"],
        "media": modes["media"],
        "rate_limits": modes["rate_limits"],
        "stripe": bool(cfg.get("STRIPE_SECRET_KEY")),
        "stripe_webhook": bool(cfg.get("STRIPE_WEBHOOK_SECRET")),
        "imagekit": bool(cfg.get("IMAGEKIT_PRIVATE_KEY") and cfg.get("IMAGEKIT_URL_ENDPOINT")),
        "environment": cfg.get("APP_ENV"),
        "workers": cfg.get("WEB_CONCURRENCY"),
        "warnings": embedded_warnings(app),
        "versions": {
            "DreamDot": app_version(),
            "Python": platform.python_version(),
            "Flask": _version("flask"),
            "SQLAlchemy": _version("sqlalchemy"),
            "Flask-SQLAlchemy": _version("flask-sqlalchemy"),
            "mongoengine": _version("mongoengine"),
        },
    }
