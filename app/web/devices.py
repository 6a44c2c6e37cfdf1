"""The known-device cookie: a browser that signed in to an account skips that account's
failed-sign-in wait (app/services/accounts/throttle.py)."""

from __future__ import annotations

from flask import after_this_request, current_app, request

from app.services.accounts import throttle


def device_token() -> str | None:
    return request.cookies.get(current_app.config["KNOWN_DEVICE_COOKIE"])


def remember_device(user) -> None:
    """Mark this browser as one that signed in to `user` (the cookie rides on the response)."""
    token = throttle.remember_device(user, device_token())
    cfg = current_app.config

    @after_this_request
    def set_cookie(response):
        response.set_cookie(cfg["KNOWN_DEVICE_COOKIE"], token, max_age=cfg["KNOWN_DEVICE_DAYS"] * 86400,
                            secure=cfg["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax")
        return response
