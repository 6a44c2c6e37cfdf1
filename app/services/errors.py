"""Domain errors. Services raise them; `app.web.errors` turns them into a page, a
fragment or the JSON error body of the API, with the status each one carries."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class Invalid(ServiceError):
    status = 400
    code = "invalid"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class NotAllowed(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class InsufficientFunds(ServiceError):
    status = 402
    code = "insufficient_funds"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"


class TooManyAttempts(ServiceError):
    """Refused for a while (`retry_after` seconds) without looking at what was sent."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Busy(ServiceError):
    """Refused for now, before any work was done, because the server is at capacity: the same
    request may succeed after `retry_after` seconds (503 with Retry-After)."""

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after
