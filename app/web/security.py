"""Security at the edge: CSRF for every state-changing cookie request, and the headers
every response carries."""

from __future__ import annotations

import functools
import time

from flask import current_app, g, request, session
from flask_wtf.csrf import generate_csrf

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


# A session's signed CSRF token is given again for this long (seconds) before a new one is
# signed. Its secret is the session's either way; only the signature's timestamp is older,
# which matters to no check here (WTF_CSRF_TIME_LIMIT is None: a token lives as long as its
# session) and would shorten a time limit, if one were set, by at most this much.
CSRF_TOKEN_REUSE_SECONDS = 60
MAX_CSRF_TOKENS = 10_000
_CSRF_TOKENS = "dreamdot.csrf_tokens"


def csrf_token() -> str:
    """This request's CSRF token for forms and HTMX: Flask-WTF's `generate_csrf`, except that
    a session's token signed in the last minute is given again instead of signing a new one
    (a serializer, JSON, base64 and two HMACs on every page). The token is what it would be
    a minute earlier: checked by Flask-WTF the same way, bound to the same session secret."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token is not None:
        return token
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get(field)
    cache = current_app.extensions[_CSRF_TOKENS]
    now = time.time()
    if isinstance(raw, str):
        found = cache.get((secret, raw))
        if found is not None and 0 <= now - found[0] < CSRF_TOKEN_REUSE_SECONDS:
            setattr(g, field, found[1])
            return found[1]
    token = generate_csrf()
    if isinstance(raw, str):  # a returning session's (a first visit's may never come back)
        if len(cache) >= MAX_CSRF_TOKENS:
            cache.clear()
        cache[(secret, raw)] = (now, token)
    return token


def refuse_nul_characters():
    """No text of DreamDot may hold a NUL character, and PostgreSQL refuses one outright (the
    driver raises before the query is sent): a request carrying one in its path, query, form
    or JSON is bad input, answered 400 before any view reads it."""
    values = [request.path, *(v for _, vs in request.args.lists() for v in vs)]
    if request.method not in SAFE_METHODS:
        values += [v for _, vs in request.form.lists() for v in vs] + list(request.form)
    from app.web.errors import error_response

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
    app.extensions[_CSRF_TOKENS] = {}
    # In place of Flask-WTF's generate_csrf, which it puts both in the globals and in every
    # template's context (a context processor: this later one wins).
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.before_request(protect_csrf)
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
