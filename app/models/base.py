"""One abstract base per bind, and the column types every bind shares."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from app.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps stored as naive UTC (`timestamp without time zone`) and returned zone-aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class UsersModel(db.Model):
    __abstract__ = True
    __bind_key__ = "users"


class SocialModel(db.Model):
    __abstract__ = True
    __bind_key__ = "social"


class ItemsModel(db.Model):
    __abstract__ = True
    __bind_key__ = "items"


class CommunityModel(db.Model):
    __abstract__ = True
    __bind_key__ = "community"


class AuditModel(db.Model):
    __abstract__ = True
    __bind_key__ = "audit"
