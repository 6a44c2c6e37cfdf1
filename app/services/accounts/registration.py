"""Creating accounts."""

from __future__ import annotations

import sqlalchemy as sa
from blinker import signal
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import User
from app.services import NO_ORIGIN, Origin
from app.services.accounts.passwords import hash_password, password_problem
from app.services.accounts.validation import clean_display_name, clean_email, clean_username
from app.services.audit import record_event
from app.services.errors import Conflict, Invalid

# Sent after a user row is flushed; other domains (the sign-up grant) connect to it.
user_created = signal("user-created")


def signup(
    username: str,
    email: str,
    password: str,
    display_name: str | None = None,
    *,
    origin: Origin = NO_ORIGIN,
) -> User:
    """Create an account. Raises Invalid (400) for bad fields, Conflict (409) when taken."""
    username, username_error = clean_username(username)
    email, email_error = clean_email(email)
    display_name, name_error = clean_display_name(display_name)
    password = password or ""
    errors = {
        "username": username_error,
        "email": email_error,
        "display_name": name_error,
        "password": password_problem(password, username=username, email=email),
    }
    errors = {field: why for field, why in errors.items() if why}
    # Every problem in one answer: a taken name is said beside a weak password, not after it.
    taken = _taken(None if "username" in errors else username, None if "email" in errors else email)
    if errors:
        raise Invalid("Some fields need another look.", code="validation_failed", fields={**taken, **errors})
    if taken:
        raise Conflict("That username or email is already taken.", code="taken", fields=taken)
    user = User(
        username=username,
        email=email,
        email_key=email.lower(),
        password_hash=hash_password(password),
        display_name=display_name,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request took the name between the check and the insert.
        db.session.rollback()
        raise Conflict("That username or email is already taken.", code="taken") from None
    record_event("signup", user_id=user.id, origin=origin, target_type="user", target_id=user.id)
    user_created.send(user)
    return user


def _taken(username: str | None, email: str | None) -> dict[str, str]:
    """Why `username` or `email` (None: not asked) cannot be had, by field."""
    asked = ([User.username == username] if username else []) + ([User.email_key == email.lower()] if email else [])
    if not asked:
        return {}
    taken = db.session.execute(sa.select(User.username, User.email_key).where(sa.or_(*asked))).all()
    fields = {}
    for row in taken:
        if username and row.username == username:
            fields["username"] = "That username is taken."
        if email and row.email_key == email.lower():
            fields["email"] = "An account with that email already exists."
    return fields
