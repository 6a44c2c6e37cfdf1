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
    app.after_request(set_security_headers)
