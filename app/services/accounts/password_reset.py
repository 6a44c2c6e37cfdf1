"""Password reset by mail: a single-use link, valid for an hour, sent to the account's
address. Whether an address belongs to an account is never told: a known one and an
unknown one get the same answer, and the mail leaves after the response.

Setting the new password ends every browser session and API token of the account, clears
its failed sign-ins (the per-account sign-in wait promises the owner gets in by this link)
and voids every other reset link."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services import NO_ORIGIN, Origin
from app.services.accounts import mail_tokens
from app.services.accounts.passwords import hash_password, password_problem
from app.services.accounts.sessions import end_all_sessions
from app.services.accounts.throttle import clear_failures
from app.services.accounts.validation import clean_email
from app.services.audit import record_event
from app.services.errors import Invalid
from app.services.mail import OutgoingMail, require_mail, send_after_commit

VALID_FOR = timedelta(hours=1)
# A second request within this time sends no second mail: the first link still works, and a
# stranger cannot fill someone's inbox by asking again and again.
RESEND_AFTER = timedelta(minutes=1)
WHAT = "Password reset"


def request_password_reset(email: str | None, *, link: str, origin: Origin = NO_ORIGIN) -> None:
    """Send a reset link for the account using `email` (to the address it has on file),
    when there is one. Returns the same way whether there is or not; raises Invalid only for
    something that is not an email address, MailNotConfigured when mail is off."""
    require_mail(WHAT)
    address, problem = clean_email(email)
    if problem:
        raise Invalid("Enter a valid email address.", code="validation_failed", fields={"email": problem})
    user = db.session.scalar(sa.select(User).where(User.email_key == address.lower()))
    if user is None or user.is_suspended:
        record_event("password_reset_requested", origin=origin, known=False)
        return
    latest = mail_tokens.latest_live(user, mail_tokens.PASSWORD_RESET)
    if latest is not None and utcnow() - latest.created_at < RESEND_AFTER:
        record_event("password_reset_requested", user_id=user.id, origin=origin, known=True, resent=False)
        return
    mail_tokens.void(user, mail_tokens.PASSWORD_RESET)  # only the newest link works
    token = mail_tokens.issue(user, mail_tokens.PASSWORD_RESET, user.email, VALID_FOR)
    record_event("password_reset_requested", user_id=user.id, origin=origin, known=True)
    send_after_commit(OutgoingMail(
        to=user.email, subject="Reset your DreamDot password", template="password_reset",
        context={"name": user.name, "username": user.username, "link": f"{link}?{urlencode({'token': token})}",
                 "minutes": int(VALID_FOR.total_seconds() // 60), "ip": origin.ip},
        user_id=user.id))


def user_for_reset_token(token: str | None) -> User:
    """The account a live reset link belongs to (for the set-a-new-password page), else
    InvalidToken."""
    found = mail_tokens.find(token, mail_tokens.PASSWORD_RESET)
    user = db.session.get(User, found.user_id) if found else None
    if user is None or not _still_applies(user, found):
        raise mail_tokens.InvalidToken()
    return user


def reset_password(token: str | None, new_password: str | None, *, origin: Origin = NO_ORIGIN) -> User:
    """Set the new password of the link's account. Nothing changes when the link cannot be
    used (InvalidToken) or the password breaks the sign-up rules (Invalid, `password`)."""
    user = user_for_reset_token(token)
    new_password = new_password or ""
    problem = password_problem(new_password, username=user.username, email=user.email)
    if problem:
        raise Invalid("Choose another password.", code="validation_failed", fields={"password": problem})
    mail_tokens.use(token, mail_tokens.PASSWORD_RESET)
    mail_tokens.void(user, mail_tokens.PASSWORD_RESET)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    ended = end_all_sessions(user)
    clear_failures(user)
    db.session.flush()
    record_event("password_reset", user_id=user.id, origin=origin, target_type="user", target_id=user.id,
                 sessions_ended=ended)
    return user


def _still_applies(user: User, token) -> bool:
    """A link sent to an address the account no longer has, or to a suspended account, is
    not honoured."""
    return not user.is_suspended and token.email.lower() == user.email_key
