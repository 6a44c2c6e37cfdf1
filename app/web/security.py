"""Security at the edge: CSRF for every state-changing cookie request, and the headers
every response carries."""

from __future__ import annotations

import functools

from flask import current_app, request

from app.extensions import csrf
from app.web.context import bearer_token, is_api_request
from app.web.errors import error_response

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def csrf_exempt(view):
    """For endpoints authenticated otherwise (the Stripe webhook's signature)."""
    view.csrf_exempt = True
    return view


def protect_csrf() -> None:
    if request.method in SAFE_METHODS or bearer_token() is not None:
        return
    cookie_name = current_app.config["SESSION_COOKIE_NAME"]
    if request.path.startswith("/api/") and cookie_name not in request.cookies:
        # Neither a cookie nor a token rides on this API call: there is nothing to forge.
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "csrf_exempt", False):
        return
    csrf.protect()


def refuse_nul_characters():
    """No text of DreamDot may hold a NUL character, and PostgreSQL refuses one outright (the
    driver raises before the query is sent): a request carrying one in its path, query, form
    or JSON is bad input, answered 400 before any view reads it."""
    values = [request.path, *(v for _, vs in request.args.lists() for v in vs)]
    if request.method not in SAFE_METHODS:
        values += [v for _, vs in request.form.lists() for v in vs] + list(request.form)
    try:
        if request.method not in SAFE_METHODS and request.is_json:
            values.append(request.get_json(silent=True))
        has_nul = any(_has_nul(value) for value in values)
    except RecursionError:  # JSON nested deeper than Python parses: no view could read it
        return error_response(400, "invalid_payload", "The JSON is nested too deeply.")
    if has_nul:
        return error_response(400, "invalid_text", "Text cannot contain NUL characters.")
    return None


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _content_security_policy(media_endpoint: str | None, stripe_checkout: bool) -> str:
    img = ["'self'", "data:", "blob:"]
    if media_endpoint:
        img.append(media_endpoint.rstrip("/"))
    form_action = ["'self'"]
    if stripe_checkout:
        form_action.append("https://checkout.stripe.com")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(img)}",
            f"media-src {' '.join(img)}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            f"form-action {' '.join(form_action)}",
        ]
    )


@functools.lru_cache(maxsize=16)
def _security_headers(media_endpoint: str | None, stripe_checkout: bool, hsts: bool) -> tuple:
    """The headers every response carries, as (lowercased name, name, value), for one
    configuration: built once, not on every response."""
    headers = [
        ("Content-Security-Policy", _content_security_policy(media_endpoint, stripe_checkout)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if hsts:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple((name.lower(), name, value) for name, value in headers)


def set_security_headers(response):
    """Each security header unless the view set its own. The names present are read once:
    `Headers.setdefault` looks each name up by raising and catching a KeyError when it is
    absent, which was most of this hook's cost on every response."""
    config = current_app.config
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    for lowered, name, value in _security_headers(config.get("IMAGEKIT_URL_ENDPOINT") or None,
                                                  bool(config.get("STRIPE_SECRET_KEY")), bool(config.get("HSTS"))):
        if lowered not in present:
            headers.add(name, value)
    if "cache-control" not in present and (bearer_token() is not None or is_api_request()):
        headers.add("Cache-Control", "no-store")
    return response


def init_security(app) -> None:
    app.before_request(protect_csrf)
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
