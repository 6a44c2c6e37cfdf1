"""The account rules, shared by the sign-up form, the JSON API and the CLI."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from app.services.names import one_line_name

USERNAME_RE = re.compile(r"^[a-z0-9_]{3,30}$")
DISPLAY_NAME_MAX = 50
BIO_MAX = 500


def clean_username(value: str | None) -> tuple[str, str | None]:
    username = (value or "").strip().lower()
    if not USERNAME_RE.fullmatch(username):
        return username, "3 to 30 characters: lowercase letters, digits and underscores."
    return username, None


def clean_email(value: str | None) -> tuple[str, str | None]:
    raw = (value or "").strip()
    if len(raw) > 254:
        return raw, "That email address is too long."
    try:
        return validate_email(raw, check_deliverability=False).normalized, None
    except EmailNotValidError:
        return raw, "Enter a valid email address, like name@example.com."


def clean_display_name(value: str | None) -> tuple[str, str | None]:
    name = one_line_name(value)
    if len(name) > DISPLAY_NAME_MAX:
        return name, f"At most {DISPLAY_NAME_MAX} characters."
    if any(ord(c) < 32 for c in name):
        return name, "Control characters are not allowed."
    return name, None


def clean_bio(value: str | None) -> tuple[str, str | None]:
    bio = (value or "").replace("\r\n", "\n").strip()
    if len(bio) > BIO_MAX:
        return bio, f"At most {BIO_MAX} characters."
    return bio, None
