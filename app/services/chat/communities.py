"""The bridge to communities: the membership lookups the chat makes (a community's
conversation is for its active members). Following membership changes is
`app.services.chat.community_sync`."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.community import Community
from app.services.communities import membership


def community_by_slug(slug: str):
    return membership.get_community_by_slug(slug)


def is_community_member(community_id: int, user_id: int) -> bool:
    return bool(membership.is_member(community_id, user_id))


def community_member_ids(community_id: int) -> list[int]:
    return list(membership.member_ids(community_id))


def communities_of(user_id: int) -> list:
    """The communities the user belongs to (each has one conversation), by name."""
    ids = membership.community_ids_of(user_id)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Community).where(Community.id.in_(ids)).order_by(Community.name)))
