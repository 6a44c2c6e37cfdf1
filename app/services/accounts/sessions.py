"""Signing in and out: password checks, sign-in sessions and API bearer tokens.

Every signed-in browser and every API token is a row of `auth_sessions`. The browser's
cookie and the bearer token only name a row, so signing out (or a password change, or a
suspension) ends them on the server, not just in one client.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import NoReturn

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import AuthSession, User
from app.models.base import utcnow
from app.services import NO_ORIGIN, Origin
from app.services.accounts import throttle
from app.services.accounts.passwords import burn_verify, verify_password
from app.services.audit import record_event
from app.services.broker import publish_after_commit, user_channel
from app.services.errors import NotAllowed, TooManyAttempts, Unauthorized

TOKEN_SALT = "dreamdot-api-token"  # noqa: S105 - a signing namespace, not a secret
TOUCH_EVERY = timedelta(minutes=5)


def find_by_login(login: str) -> User | None:
    key = (login or "").strip().lower()
    if not key:
        return None
    column = User.email_key if "@" in key else User.username
    return db.session.scalar(sa.select(User).where(column == key))


def authenticate(
    login: str, password: str, *, origin: Origin = NO_ORIGIN, device: str | None = None
) -> User:
    """The user with these credentials. One message whether the user is unknown or the
    password wrong; the same time spent either way. An account with too many failures in a
    row waits (TooManyAttempts, the password not checked) unless `device`, the browser's
    known-device token, says this browser signed in to it before."""
    user = find_by_login(login)
    if user is None:
        burn_verify()
        _refuse(None, login, origin)
    if not throttle.is_known_device(user, device):
        try:
            throttle.check_not_throttled(user)
        except TooManyAttempts:
            record_event("signin_failed", user_id=user.id, origin=origin, durable=True,
                         login=(login or "")[:254], reason="throttled")
            raise
    if not verify_password(user.password_hash, password or ""):
        throttle.record_failure(user)
        _refuse(user, login, origin)
    if user.is_suspended:
        record_event("signin_refused_suspended", user_id=user.id, origin=origin, durable=True)
        raise NotAllowed("This account is suspended.", code="suspended")
    throttle.clear_failures(user)
    return user


def _refuse(user: User | None, login: str, origin: Origin) -> NoReturn:
    record_event("signin_failed", user_id=user.id if user else None, origin=origin, durable=True,
                 login=(login or "")[:254])
    raise Unauthorized("That username or email and password do not match an account.",
                       code="invalid_credentials")


def start_session(
    user: User, *, kind: str = "web", remember: bool = False, origin: Origin = NO_ORIGIN
) -> AuthSession:
    cfg = current_app.config
    if kind == "api":
        ttl = timedelta(seconds=cfg["API_TOKEN_TTL_SECONDS"])
    elif remember:
        ttl = timedelta(days=cfg["REMEMBER_DAYS"])
    else:
        ttl = timedelta(hours=cfg["SESSION_HOURS"])
    now = utcnow()
    auth = AuthSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        kind=kind,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ttl,
        ip=origin.ip,
        user_agent=(origin.user_agent or "")[:255] or None,
    )
    db.session.add(auth)
    db.session.flush()
    user.auth_session_id = auth.id
    record_event("signin", user_id=user.id, origin=origin, kind=kind, remember=remember)
    return auth


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def issue_token(user: User, *, origin: Origin = NO_ORIGIN) -> str:
    auth = start_session(user, kind="api", origin=origin)
    return _serializer().dumps({"sid": auth.id, "uid": user.id})


# The signed-in user and, of the session row, what is read here: one statement, built once
# (SQLAlchemy keeps its compiled form in the engine's cache; psycopg prepares it).
_SESSION_USER = (
    sa.select(User, AuthSession.id, AuthSession.last_seen_at)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.id == sa.bindparam("sid"),
        AuthSession.kind == sa.bindparam("kind"),
        User.id == sa.bindparam("uid"),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > sa.bindparam("now", type_=AuthSession.expires_at.type),
        User.suspended_at.is_(None),
    )
)


def user_for_session(user_id: int, session_id: str, *, kind: str = "web") -> User | None:
    """The active user behind a live session row, or None (one statement on the users bind)."""
    now = utcnow()
    row = db.session.execute(_SESSION_USER, {"sid": session_id, "kind": kind, "uid": user_id, "now": now}).first()
    if row is None:
        return None
    user, auth_id, last_seen_at = row
    if now - last_seen_at > TOUCH_EVERY:
        db.session.execute(_TOUCH, {"sid": auth_id, "now": now})
    user.auth_session_id = auth_id
    return user


_TOUCH = sa.update(AuthSession).where(AuthSession.id == sa.bindparam("sid")).values(
    last_seen_at=sa.bindparam("now"))


def user_for_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["API_TOKEN_TTL_SECONDS"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
        return None
    if not isinstance(data.get("uid"), int):
        return None
    return user_for_session(data["uid"], data["sid"], kind="api")


def session_tag(session_id: str) -> str:
    """What names a session in a broker event: a hash, so the id (which a cookie or token
    carries) never travels through the broker."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:24]


def end_session(user: User, *, origin: Origin = NO_ORIGIN) -> None:
    if user.auth_session_id:
        db.session.execute(
            sa.update(AuthSession)
            .where(AuthSession.id == user.auth_session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        # Open event streams of this session end as soon as the sign-out commits.
        publish_after_commit(db.session, user_channel(user.id),
                             {"type": "signed_out", "session": session_tag(user.auth_session_id)})
    record_event("signout", user_id=user.id, origin=origin)


def end_all_sessions(user: User, *, keep: str | None = None) -> int:
    """Revoke every session of the user but `keep` (the password-change case)."""
    query = sa.update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if keep:
        query = query.where(AuthSession.id != keep)
    ended = db.session.execute(query.values(revoked_at=utcnow())).rowcount
    if ended:
        publish_after_commit(db.session, user_channel(user.id),
                             {"type": "signed_out", "all_but": session_tag(keep) if keep else None})
    return ended
