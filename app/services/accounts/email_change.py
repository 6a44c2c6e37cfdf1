"""Changing the email address: the current password proves the owner asks; a link sent to
the new address proves it is theirs, and only opening it (signed in as the same account,
within a day, once) changes the address. The old address is told at once, so an owner whose
session was stolen can change the password, which voids the link."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import MailToken, User
from app.services import NO_ORIGIN, Origin
from app.services.accounts import mail_tokens
from app.services.accounts.passwords import verify_password
from app.services.accounts.validation import clean_email
from app.services.audit import record_event
from app.services.errors import Conflict, Invalid
from app.services.mail import OutgoingMail, require_mail, send_after_commit

VALID_FOR = timedelta(hours=24)
WHAT = "Changing your email address"


def request_email_change(
    user: User, current_password: str | None, new_email: str | None, *, link: str, origin: Origin = NO_ORIGIN
) -> str:
    """Send a verification link to `new_email` and a notice to the current address; the
    address itself does not change yet. Returns the new address as it will be kept."""
    require_mail(WHAT)
    if not verify_password(user.password_hash, current_password or ""):
        record_event("email_change_failed", user_id=user.id, origin=origin, durable=True)
        raise Invalid("Your current password is not right.", code="validation_failed",
                      fields={"current_password": "That is not your current password."})
    address, problem = clean_email(new_email)
    if problem is None and address.lower() == user.email_key:
        problem = "That is already your email address."
    if problem:
        raise Invalid("Enter another email address.", code="validation_failed", fields={"email": problem})
    _ensure_free(address)
    mail_tokens.void(user, mail_tokens.EMAIL_CHANGE)  # only the newest link works
    token = mail_tokens.issue(user, mail_tokens.EMAIL_CHANGE, address, VALID_FOR)
    record_event("email_change_requested", user_id=user.id, origin=origin, target_type="user",
                 target_id=user.id, new_email=address)
    hours = int(VALID_FOR.total_seconds() // 3600)
    send_after_commit(OutgoingMail(
        to=address, subject="Confirm your new DreamDot email address", template="email_change_verify",
        context={"name": user.name, "username": user.username, "email": address, "hours": hours,
                 "link": f"{link}?{urlencode({'token': token})}"},
        user_id=user.id))
    send_after_commit(OutgoingMail(
        to=user.email, subject="Your DreamDot email address is about to change", template="email_change_notice",
        context={"name": user.name, "username": user.username, "email": address, "hours": hours, "ip": origin.ip},
        user_id=user.id))
    return address


def pending_email_change(user: User) -> MailToken | None:
    """The change waiting for its link to be opened, if any."""
    return mail_tokens.latest_live(user, mail_tokens.EMAIL_CHANGE)


def email_change_for(user: User, token: str | None) -> MailToken:
    """The live change `token` names, when it is `user`'s; else InvalidToken."""
    found = mail_tokens.find(token, mail_tokens.EMAIL_CHANGE)
    if found is None:
        raise mail_tokens.InvalidToken()
    if found.user_id != user.id:
        raise mail_tokens.InvalidToken("This link was sent for another DreamDot account. Sign in as that "
                                       "account to use it.")
    return found


def confirm_email_change(user: User, token: str | None, *, origin: Origin = NO_ORIGIN) -> str:
    """Change the address to the one the link was sent to; returns it. Reset links sent to
    the old address and other pending changes can no longer be used."""
    change = email_change_for(user, token)
    _ensure_free(change.email)
    mail_tokens.use(token, mail_tokens.EMAIL_CHANGE)
    old = user.email
    user.email, user.email_key = change.email, change.email.lower()
    try:
        db.session.flush()
    except IntegrityError:
        # Another account took the address between the check and this change.
        db.session.rollback()
        raise _taken() from None
    mail_tokens.void(user, mail_tokens.EMAIL_CHANGE, mail_tokens.PASSWORD_RESET)
    record_event("email_changed", user_id=user.id, origin=origin, target_type="user", target_id=user.id,
                 old_email=old, new_email=change.email)
    return change.email


def _ensure_free(address: str) -> None:
    if db.session.scalar(sa.select(User.id).where(User.email_key == address.lower())) is not None:
        raise _taken()


def _taken() -> Conflict:
    return Conflict("An account with that email already exists.", code="taken",
                    fields={"email": "An account with that email already exists."})
