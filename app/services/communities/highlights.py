"""Communities shown beside other pages: a member's own on the home page, the largest on the
signed-out front page. One statement each on the community bind."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.community import Community, Membership

_MINE = (
    sa.select(Community)
    .join(Membership, Membership.community_id == Community.id)
    .where(Membership.user_id == sa.bindparam("user_id", type_=sa.Integer()), Membership.status == "active")
    .order_by(Community.last_activity_at.desc(), Community.id.desc())
    .limit(sa.bindparam("limit", type_=sa.Integer()))
)
_LARGEST = (
    sa.select(Community)
    .order_by(Community.member_count.desc(), Community.id.desc())
    .limit(sa.bindparam("limit", type_=sa.Integer()))
)


def member_communities(user_id: int, *, limit: int = 5) -> list[Community]:
    """The communities `user_id` is an active member of, the most recently active first."""
    return list(db.session.scalars(_MINE, {"user_id": user_id, "limit": limit}))


def largest_communities(*, limit: int = 6) -> list[Community]:
    """The directory's largest communities, public and private alike (a private one shows only
    its name and description, as in the directory)."""
    return list(db.session.scalars(_LARGEST, {"limit": limit}))
