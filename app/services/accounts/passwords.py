"""Password hashing (argon2id at OWASP's parameters) and the common-password check."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MAX_LENGTH = 256


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, time_cost: int) -> PasswordHasher:
    # OWASP: argon2id, m=19 MiB, t=2, p=1 (the defaults of config.py).
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)


def hasher() -> PasswordHasher:
    cfg = current_app.config
    return _hasher(cfg["PASSWORD_HASH_MEMORY_KIB"], cfg["PASSWORD_HASH_TIME_COST"])


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash("dreamdot-timing-equalizer")


def burn_verify() -> None:
    """Spend the time of one verification, so an unknown user answers as slowly as a known one."""
    verify_password(_dummy_hash(), "not-the-password")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    # 30,000 most common passwords, shipped with zxcvbn.
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common() or len(set(lowered)) < 3:
        return "This password is too common; choose one that is harder to guess."
    if username and username.lower() in lowered:
        return "The password must not contain your username."
    if email and email.split("@")[0].lower() == lowered:
        return "The password must not be your email address."
    return None
