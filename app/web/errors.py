"""One set of error handlers: a page for browsers, a fragment for HTMX, the JSON error
body of the API under /api/. Never a stack trace."""

from __future__ import annotations

import logging
import math
import time

from flask import current_app, jsonify, make_response
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from pymongo.errors import ConnectionFailure as MongoConnectionFailure
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import (
    DBAPIError,
)
from sqlalchemy.exc import (
    InterfaceError as SQLInterfaceError,
)
from sqlalchemy.exc import (
    OperationalError as SQLOperationalError,
)
from sqlalchemy.exc import (
    TimeoutError as SQLPoolTimeout,
)
from werkzeug.exceptions import HTTPException

from app.extensions import db, limiter
from app.services.errors import ServiceError
from app.web.context import is_api_request
from app.web.htmx import wants_partial
from app.web.limits import wait_text

log = logging.getLogger("dreamdot.errors")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}

MESSAGES = {
    400: "The request could not be understood.",
    401: "Sign in to do that.",
    403: "You are not allowed to do that.",
    404: "There is nothing here.",
    405: "That method is not allowed here.",
    413: "That upload is too large.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged.",
    503: "DreamDot is briefly unavailable. Try again in a moment.",
}


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    if is_api_request():
        body = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        response = jsonify(body)
    else:
        # HTMX swaps some errors (413) into the form it posted: give it the fragment.
        template = "errors/_error.html" if wants_partial() else "errors/error.html"
        response = render_error_page(template, status=status, message=message)
    response = make_response(response)
    response.status_code = status
    return response


def render_error_page(template: str, **context) -> str:
    """An error page drawn from its template and `context` alone. `render_template` would
    run the context processors first, and Flask-Login's loads the signed-in user: a query,
    which fails again when the database is why the page is drawn (and the 503 became a bare
    500). The error templates need nothing else (errors/base.html)."""
    return current_app.jinja_env.get_template(template).render(**context)


def handle_service_error(exc: ServiceError):
    db.session.rollback()
    response = error_response(exc.status, exc.code, exc.message, exc.fields)
    if getattr(exc, "retry_after", None):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def handle_csrf_error(exc: CSRFError):
    return error_response(
        400, "csrf_failed", "The form expired or was not sent from DreamDot. Reload and try again."
    )


def handle_http_error(exc: HTTPException):
    status = exc.code or 500
    if status == 429 and exc.response is not None:
        response = exc.response  # a page's own answer to its limit: its form, saying why (app/web/limits.py)
    else:
        response = error_response(status, CODES.get(status, "error"), http_error_message(exc))
    for header in ("Retry-After", "Allow"):
        if exc.get_response().headers.get(header):
            response.headers[header] = exc.get_response().headers[header]
    if status == 429 and limiter.current_limit is not None:
        response.headers["Retry-After"] = str(seconds_until(limiter.current_limit.reset_at))
    return response


def http_error_message(exc: HTTPException) -> str:
    """Words for a person: a broken rate limit says which, with the wait, when it has words."""
    status = exc.code or 500
    if status == 429:
        said = isinstance(exc, RateLimitExceeded) and exc.limit.error_message and limiter.current_limit is not None
        return f"{exc.description} {wait_text(limiter.current_limit.reset_at)}" if said else MESSAGES[429]
    return MESSAGES.get(status) or exc.description or "Error"


def seconds_until(timestamp: float) -> int:
    """Whole seconds from now to a Unix time, at least one (a client waits, then retries)."""
    return max(1, math.ceil(timestamp - time.time()))


def handle_store_unavailable(exc: Exception):
    """A store that is down, unreachable or too slow: 503 with Retry-After, whatever the
    store (PostgreSQL connect or statement timeout, pool exhausted, Redis, MongoDB). The
    request's transaction is rolled back, so its writes are absent."""
    if not is_outage(exc):
        return handle_unexpected(exc)  # a programming or integrity error, not an outage
    log.error("store unavailable (%s): %s", type(exc).__name__, getattr(exc, "orig", None) or exc)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool discards it
        log.warning("rollback after a store failure failed", exc_info=True)
    response = error_response(503, "unavailable", MESSAGES[503])
    response.headers["Retry-After"] = "5"
    return response


UNAVAILABLE = (
    SQLOperationalError, SQLInterfaceError, SQLPoolTimeout, DBAPIError,
    RedisConnectionError, RedisTimeoutError, MongoConnectionFailure,
)


def is_outage(exc: BaseException) -> bool:
    """A store down, unreachable or too slow, as opposed to a programming or integrity error
    (which a DBAPIError other than OperationalError/InterfaceError is)."""
    if isinstance(exc, DBAPIError) and not isinstance(exc, (SQLOperationalError, SQLInterfaceError)) \
            and not exc.connection_invalidated:
        return False
    return isinstance(exc, UNAVAILABLE)


def handle_unexpected(exc: Exception):
    log.exception("unhandled error")
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the original error is the one to report
        log.exception("rollback failed")
    return error_response(500, "server_error", MESSAGES[500])


def register_error_handlers(app) -> None:
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    for exc_class in UNAVAILABLE:
        app.register_error_handler(exc_class, handle_store_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
