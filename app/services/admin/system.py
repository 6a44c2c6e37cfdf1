"""The system page: where every store lives, what is configured, and versions."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

from app.extensions import db
from app.services.stores import embedded_warnings, store_modes

APP_VERSION = "1.0.0"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def system_report(app) -> dict:
    modes = store_modes(app)
    binds = [
        {"name": key, "dialect": engine.dialect.name,
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
            "DreamDot": APP_VERSION,
            "Python": platform.python_version(),
            "Flask": _version("flask"),
            "SQLAlchemy": _version("sqlalchemy"),
            "Flask-SQLAlchemy": _version("flask-sqlalchemy"),
            "mongoengine": _version("mongoengine"),
        },
    }
