"""Failed sign-ins per account: after a few, the account's sign-in waits, longer each time.

The count lives in the users bind (`signin_throttles`), so it holds across workers. During
the wait the password is not checked at all, so guessing from many addresses learns
nothing. The owner is not locked out: a browser that signed in to the account before
carries a signed "known device" token and skips the wait, and a success clears the count.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.dialects.postgresql import insert

from app.extensions import db
from app.models import SigninThrottle, User
from app.models.base import utcnow
from app.services.errors import TooManyAttempts
from app.services.wording import ngettext

FREE_FAILURES = 4  # the fifth failure in a row starts the first wait
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
FORGET_AFTER = timedelta(days=1)  # failures this old no longer count
DEVICE_SALT = "dreamdot-known-device"
DEVICES_KEPT = 5  # accounts one browser remembers


def wait_after(failures: int) -> timedelta | None:
    """How long sign-in waits after this many failures in a row: 1, 2, 4, 8 ... minutes,
    at most an hour; None before the first wait."""
    if failures <= FREE_FAILURES:
        return None
    doublings = min(failures - FREE_FAILURES - 1, 12)
    return min(FIRST_WAIT * 2**doublings, LONGEST_WAIT)


def check_not_throttled(user: User, *, now: datetime | None = None) -> None:
    """Raise TooManyAttempts while the account's sign-in waits."""
    now = now or utcnow()
    locked_until = db.session.scalar(
        sa.select(SigninThrottle.locked_until).where(SigninThrottle.user_id == user.id))
    if locked_until is not None and locked_until > now:
        seconds = math.ceil((locked_until - now).total_seconds())
        minutes = math.ceil(seconds / 60)
        raise TooManyAttempts(
            "Too many failed sign-ins for this account. "
            + ngettext("Try again in %(num)d minute.", "Try again in %(num)d minutes.", minutes),
            retry_after=seconds,
        )


def record_failure(user: User, *, now: datetime | None = None) -> int:
    """Count a failed sign-in and start the next wait when it is due; returns the count.

    Written and committed on a connection of its own: the request that failed rolls its
    own work back, and the count must stay."""
    now = now or utcnow()
    table = SigninThrottle.__table__
    stale = table.c.last_failure_at < now - FORGET_AFTER
    statement = insert(table).values(user_id=user.id, failures=1, last_failure_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={"failures": sa.case((stale, 1), else_=table.c.failures + 1), "last_failure_at": now},
    ).returning(table.c.failures)
    with db.engines["users"].begin() as connection:
        failures = connection.execute(statement).scalar_one()
        wait = wait_after(failures)
        if wait is not None:
            connection.execute(sa.update(table).where(table.c.user_id == user.id)
                               .values(locked_until=now + wait))
    return failures


def clear_failures(user: User) -> None:
    """A success (or a new password): the count starts again."""
    db.session.execute(sa.delete(SigninThrottle).where(SigninThrottle.user_id == user.id))


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _device_entry(user: User) -> list:
    # Bound to the password too: after a password change, only browsers that sign in with
    # the new one are known again.
    return [user.id, hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]]


def _device_entries(token: str | None) -> list:
    if not token:
        return []
    try:
        entries = _devices().loads(token, max_age=current_app.config["KNOWN_DEVICE_DAYS"] * 86400)
    except BadSignature:  # SignatureExpired is one
        return []
    return entries if isinstance(entries, list) else []


def is_known_device(user: User, token: str | None) -> bool:
    """Whether `token` (from the browser's cookie) says this browser signed in as `user`."""
    return _device_entry(user) in _device_entries(token)


def remember_device(user: User, token: str | None) -> str:
    """The browser's new known-device token: `user` first, then the others it already held."""
    entry = _device_entry(user)
    others = [e for e in _device_entries(token) if isinstance(e, list) and e and e[0] != user.id]
    return _devices().dumps([entry, *others][:DEVICES_KEPT])
