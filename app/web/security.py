"""Security at the edge: CSRF for every state-changing cookie request, and the headers
every response carries."""

from __future__ import annotations

from flask import current_app, request

from app.extensions import csrf
from app.web.context import bearer_token, is_api_request

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
        if request.is_json:
            values.append(request.get_json(silent=True))
    if any(_has_nul(value) for value in values):
        from app.web.errors import error_response

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


def content_security_policy() -> str:
    img = ["'self'", "data:", "blob:"]
    endpoint = current_app.config.get("IMAGEKIT_URL_ENDPOINT")
    if endpoint:
        img.append(endpoint.rstrip("/"))
    form_action = ["'self'"]
    if current_app.config.get("STRIPE_SECRET_KEY"):
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


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if bearer_token() is not None or is_api_request():
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_security(app) -> None:
    app.before_request(protect_csrf)
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
