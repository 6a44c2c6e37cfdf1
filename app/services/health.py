"""The health report: every bind and MongoDB answer, and which stores are embedded."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from app.extensions import db
from app.services.stores import embedded_warnings, mongo_db, store_modes

log = logging.getLogger("dreamdot.health")


def check_health(app) -> dict:
    checks = {}
    for key, engine in db.engines.items():
        if key is None:
            continue
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            checks[f"db:{key}"] = "ok"
        except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
            log.warning("bind %s unhealthy: %s", key, exc)
            checks[f"db:{key}"] = "unavailable"
    try:
        mongo_db().command("ping")
        checks["mongodb"] = "ok"
    except Exception as exc:  # noqa: BLE001
        log.warning("mongodb unhealthy: %s", exc)
        checks["mongodb"] = "unavailable"
    warnings = embedded_warnings(app)
    return {
        "ok": all(value == "ok" for value in checks.values()),
        "checks": checks,
        "stores": store_modes(app),
        "embedded_defaults": warnings,
        "production": app.config["APP_ENV"] == "production",
    }
