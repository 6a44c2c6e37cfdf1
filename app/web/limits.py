"""Rate limits whose values come from configuration (Flask-Limiter; memory or Redis).

A limit that a page's form meets says why in words (`error_message`, which the error handler
shows with the wait) and, given `refuse`, lets the page draw its own answer: the form again, as
typed, with the refusal on it (Flask-Limiter's `on_breach`; app/web/errors.py serves it)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Response, current_app

from app.extensions import limiter

SIGNIN_REFUSED = "Too many failed sign-ins from this network."
SIGNUPS_REFUSED = "This network has opened as many new accounts as it may for now."
SIGNUP_ATTEMPTS_REFUSED = "Too many sign-up attempts from this network."


def _config(name: str):
    return lambda: current_app.config[name]


def _failed(response) -> bool:
    return response.status_code in (400, 401, 403, 422, 429)


def _created(response) -> bool:
    """A sign-up answers 303 (a page), 204 with HX-Redirect (HTMX) or 201 (the API) only when it
    opened the account; a refusal is 4xx, and a signed-in visitor's redirect a 302."""
    return response.status_code in (201, 204, 303)


def wait_text(reset_at: float) -> str:
    """"Try again in 40 seconds." or "... in 12 minutes." until a Unix time."""
    seconds = max(1, math.ceil(reset_at - time.time()))
    if seconds < 60:
        return f"Try again in {seconds} second{'s' if seconds != 1 else ''}."
    minutes = max(1, round(seconds / 60))  # a window's 61 seconds read "1 minute"
    return f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def _drawn_by(refuse: Callable[[str], Response] | None, message: str):
    """An `on_breach` that asks `refuse` for the page's answer to `message` and the wait."""
    if refuse is None:
        return None
    return lambda limit: refuse(f"{message} {wait_text(limit.reset_at)}")


def signin_limit(refuse: Callable[[str], Response] | None = None):
    """Failed sign-ins per client address; only failures count (an account's wait refusing one
    too): the sixth within the window answers 429."""
    return limiter.shared_limit(_config("RATELIMIT_SIGNIN"), scope="signin", methods=["POST"], deduct_when=_failed,
                                error_message=SIGNIN_REFUSED, on_breach=_drawn_by(refuse, SIGNIN_REFUSED))


def signup_limits(refuse: Callable[[str], Response] | None = None):
    """Sign-ups per client address, twice: accounts opened (RATELIMIT_SIGNUP), so that typos
    and refusals cost nothing, and, looser, every attempt (RATELIMIT_SIGNUP_ATTEMPTS), which
    bounds guessing at taken names and addresses."""
    created = limiter.shared_limit(_config("RATELIMIT_SIGNUP"), scope="signup", methods=["POST"],
                                   deduct_when=_created, error_message=SIGNUPS_REFUSED,
                                   on_breach=_drawn_by(refuse, SIGNUPS_REFUSED))
    attempts = limiter.shared_limit(_config("RATELIMIT_SIGNUP_ATTEMPTS"), scope="signup_attempts",
                                    methods=["POST"], error_message=SIGNUP_ATTEMPTS_REFUSED,
                                    on_breach=_drawn_by(refuse, SIGNUP_ATTEMPTS_REFUSED))

    def decorate(view):
        return created(attempts(view))

    return decorate


write_limit = limiter.shared_limit(_config("RATELIMIT_WRITE"), scope="write", methods=["POST", "PUT", "PATCH", "DELETE"])
# Reset requests per client address: each may send a mail, so every request counts.
password_reset_limit = limiter.shared_limit(_config("RATELIMIT_PASSWORD_RESET"), scope="password_reset",
                                            methods=["POST"])
# Setting the password from a link: only refusals count (a used, expired or unknown token).
reset_confirm_limit = limiter.shared_limit(_config("RATELIMIT_SIGNIN"), scope="reset_confirm", methods=["POST"],
                                           deduct_when=_failed)
