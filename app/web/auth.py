"""Authentication at the edge: the session cookie or a bearer token, and the coarse gates."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, jsonify, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from app.extensions import login_manager
from app.services import accounts
from app.services.ids import as_id
from app.web.context import bearer_token, is_api_request
from app.web.htmx import hx_redirect, is_htmx


class DreamDotSessionInterface(SecureCookieSessionInterface):
    """A request carrying a bearer token is authenticated by the token alone: its cookie
    session is ignored and never written, so a token request cannot ride a cookie.

    The cookie's serializer is made once per secret (and fallbacks), not on every request:
    Flask builds one each time, and building one serializes an empty dictionary to learn
    whether the serializer writes text. It keeps no state between calls."""

    MAX_SERIALIZERS = 8

    def __init__(self):
        self._serializers: dict = {}

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._serializers.get(key)
        if found is None:
            found = super().get_signing_serializer(app)
            if found is None:
                return None
            if len(self._serializers) >= self.MAX_SERIALIZERS:
                self._serializers.clear()
            self._serializers[key] = found
        return found

    def open_session(self, app, request):
        if bearer_token() is not None:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if bearer_token() is not None:
            return None
        return super().save_session(app, session, response)


@login_manager.user_loader
def load_user(user_id: str):
    uid, _, sid = (user_id or "").partition(":")
    number = as_id(uid)
    if number is None or not sid:
        return None
    return accounts.user_for_session(number, sid)


@login_manager.request_loader
def load_user_from_token(_request):
    token = bearer_token()
    if not token:
        return None
    return accounts.user_for_token(token)


def unauthorized_response():
    if is_api_request() or request.path.startswith("/events") or request.path.startswith("/chat/ws"):
        return _json_error(401, "unauthorized", "Sign in to do that.")
    target = url_for("auth.signin", next=safe_next(request.full_path))
    if is_htmx():
        return hx_redirect(target)
    return redirect(target)


login_manager.unauthorized_handler(unauthorized_response)


def _json_error(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return unauthorized_response()
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    """Admin pages do not exist for anyone else: 404, not 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not (current_user.is_authenticated and current_user.is_admin):
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str | None:
    """A local path to return to after sign-in, or None for anything that leaves the site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target.rstrip("?") or "/"
