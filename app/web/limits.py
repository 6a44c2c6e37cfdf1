"""Rate limits whose values come from configuration (Flask-Limiter; memory or Redis)."""

from __future__ import annotations

from flask import current_app

from app.extensions import limiter


def _config(name: str):
    return lambda: current_app.config[name]


def _failed(response) -> bool:
    return response.status_code in (400, 401, 403, 422, 429)


# Only failed sign-ins count (an account's wait refusing one too): the sixth failure within
# the window answers 429.
signin_limit = limiter.shared_limit(
    _config("RATELIMIT_SIGNIN"), scope="signin", methods=["POST"], deduct_when=_failed
)
signup_limit = limiter.shared_limit(_config("RATELIMIT_SIGNUP"), scope="signup", methods=["POST"])
write_limit = limiter.shared_limit(_config("RATELIMIT_WRITE"), scope="write", methods=["POST", "PUT", "PATCH", "DELETE"])
# Reset requests per client address: each may send a mail, so every request counts.
password_reset_limit = limiter.shared_limit(_config("RATELIMIT_PASSWORD_RESET"), scope="password_reset",
                                            methods=["POST"])
# Setting the password from a link: only refusals count (a used, expired or unknown token).
reset_confirm_limit = limiter.shared_limit(_config("RATELIMIT_SIGNIN"), scope="reset_confirm", methods=["POST"],
                                           deduct_when=_failed)
