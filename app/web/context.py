"""Facts about the current request that services need as plain values."""

from __future__ import annotations

from flask import current_app, g, request, url_for
from flask_login import current_user

from app.services import Origin
from app.services.analytics.views import viewer_key
from app.services.navigation import NavSummary, nav_summary


def current_origin() -> Origin:
    # remote_addr is already the client's address after ProxyFix's trusted hops.
    return Origin(ip=request.remote_addr, user_agent=request.user_agent.string[:255] or None)


def is_api_request() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhook/")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        return token.strip() or ""
    return None


def current_viewer_key() -> str:
    """Who is reading, for view counts: the user id, or a daily keyed hash of address and
    browser for anonymous readers (the address itself is never stored)."""
    return viewer_key(current_app.config["SECRET_KEY"],
                      user_id=current_user.id if current_user.is_authenticated else None,
                      ip=request.remote_addr, user_agent=request.user_agent.string)


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of a page, for a link in a mail: under PUBLIC_URL when it is set
    (production requires it), never from a client's Host header there."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
    return base + url_for(endpoint, **values)


def current_navigation() -> NavSummary:
    """The navigation's figures for the signed-in user, read once per request (the home page's
    side column shows the same balance as the navigation)."""
    if "navigation" not in g:
        g.navigation = nav_summary(current_user)
    return g.navigation
