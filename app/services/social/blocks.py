"""Block lookups every domain uses: a block hides two users from each other everywhere."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.social import Block


def is_blocked_between(a_id: int | None, b_id: int | None) -> bool:
    """True when either user blocked the other."""
    if not a_id or not b_id or a_id == b_id:
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.literal(1)).select_from(Block).where(
                sa.or_(
                    sa.and_(Block.blocker_id == a_id, Block.blocked_id == b_id),
                    sa.and_(Block.blocker_id == b_id, Block.blocked_id == a_id),
                )
            ).limit(1)
        )
    )


def blocked_user_ids(user_id: int | None) -> set[int]:
    """Everyone `user_id` blocked or was blocked by."""
    if not user_id:
        return set()
    rows = db.session.execute(
        sa.select(Block.blocker_id, Block.blocked_id).where(
            sa.or_(Block.blocker_id == user_id, Block.blocked_id == user_id)
        )
    )
    return {b if a == user_id else a for a, b in rows}
