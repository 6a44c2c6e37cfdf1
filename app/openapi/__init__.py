"""The OpenAPI document of the JSON API, served at GET /api/openapi.json.

Each domain describes its own paths in a module here (`auth.py`, `users.py`, ...) with a
`PATHS` dict and optionally `SCHEMAS`; `build_spec` merges them. A test fails when an
/api route is missing from the document."""

from __future__ import annotations

import importlib
import pkgutil

from app.openapi.common import COMMON_SCHEMAS, error_responses


def build_spec() -> dict:
    paths: dict = {}
    schemas = dict(COMMON_SCHEMAS)
    package = importlib.import_module(__name__)
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for path, operations in getattr(module, "PATHS", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(getattr(module, "SCHEMAS", {}))
    _every_operation_may_be_rate_limited(paths)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "DreamDot API",
            "version": "1.0.0",
            "description": "JSON API of DreamDot. Auth: the session cookie (with the X-CSRFToken "
            "header on writes) or `Authorization: Bearer <token>` from signup/signin.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "dreamdot_session"},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}, {}],
        "paths": paths,
    }


def _every_operation_may_be_rate_limited(paths: dict) -> None:
    # Flask-Limiter may answer any call with 429 (the write limit, sign-in and sign-up limits).
    too_many = error_responses(429)
    for operations in paths.values():
        for name, operation in operations.items():
            if name != "parameters":
                operation.setdefault("responses", {}).update(
                    {k: v for k, v in too_many.items() if k not in operation.get("responses", {})})


__all__ = ["build_spec", "error_responses"]
