"""Page views, counted once per viewer per day and kept as daily rollups.

`view_days` remembers who has already been counted today (one small row per viewer and
page); `daily_stats` holds the count per page and day, which is all the analytics page
reads. `view_days` rows of past days serve no purpose and are pruned."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.social import DailyStat, ViewDay
from app.services.errors import Invalid
from app.services.social.sql import insert_ignore

TARGET_TYPES = ("post", "item")


def today() -> date:
    return utcnow().date()


def viewer_key(secret_key: str, *, user_id: int | None, ip: str | None, user_agent: str | None,
               day: date | None = None) -> str:
    """`u:<id>` for a signed-in reader; for anyone else a keyed hash of address and browser
    under a salt that changes every day, so the key holds no address and links no two days."""
    if user_id:
        return f"u:{int(user_id)}"
    day = day or today()
    salt = hmac.new(secret_key.encode(), f"view-salt:{day.isoformat()}".encode(), hashlib.sha256).digest()
    digest = hmac.new(salt, f"{ip or ''}\n{user_agent or ''}".encode(), hashlib.sha256).hexdigest()
    return f"a:{digest[:32]}"


def record_view(target_type: str, target_id: int, owner_id: int, viewer_key: str, *,
                day: date | None = None) -> bool:
    """Count one view of a post or item unless this viewer was counted today (or is its
    owner). True when counted."""
    if target_type not in TARGET_TYPES:
        raise Invalid("Unknown view target.", code="invalid_target")
    if viewer_key == f"u:{owner_id}":
        return False
    day = day or today()
    key = {"target_type": target_type, "target_id": int(target_id), "day": day}
    if not insert_ignore(ViewDay, {**key, "viewer_key": viewer_key[:40]}):
        return False
    insert_ignore(DailyStat, {**key, "owner_id": owner_id, "views": 0})
    db.session.execute(sa.update(DailyStat).filter_by(**key).values(views=DailyStat.views + 1))
    return True


def prune_view_days(before: date | None = None) -> int:
    """Delete the dedupe rows of days before `before` (today by default)."""
    before = before or today()
    return db.session.execute(sa.delete(ViewDay).where(ViewDay.day < before)).rowcount
