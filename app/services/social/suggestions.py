"""People to follow, for the home page's side column and the signed-out front page.

Candidates come from two short index walks in one statement on the social bind: the people
followed by the people I follow (each such follow counts ten), and the authors of the last
hundred posts (one each), so a newcomer who follows nobody still gets suggestions. Me, the
people I already follow, blocks either way, mutes and suspended accounts are left out; the
users are then read by id (users bind). No count over the whole follows table is made: the
page shows this on every visit."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.social import Block, Follow, Mute, Post
from app.services.accounts import users_by_id
from app.services.accounts.visibility import suspended_user_ids
from app.services.social.people import viewer_id

VIEWER = sa.bindparam("viewer", type_=sa.Integer())
SUSPENDED = sa.bindparam("suspended", type_=sa.ARRAY(sa.Integer()))
LIMIT = sa.bindparam("limit", type_=sa.Integer())
RECENT_POSTS = 100


def _suggestions() -> sa.Select:
    mine = sa.select(Follow.followee_id).where(Follow.follower_id == VIEWER)
    followed_by_followed = (sa.select(Follow.followee_id.label("id"), sa.literal(10).label("score"))
                            .where(Follow.follower_id.in_(mine)))
    recent = sa.select(Post.author_id).order_by(Post.created_at.desc()).limit(RECENT_POSTS).subquery()
    recent_authors = sa.select(recent.c.author_id.label("id"), sa.literal(1).label("score"))
    candidates = sa.union_all(followed_by_followed, recent_authors).subquery("candidates")
    cid = candidates.c.id
    return (
        sa.select(cid)
        .where(
            cid.is_distinct_from(VIEWER),
            cid.not_in(mine),
            cid.not_in(sa.select(Block.blocked_id).where(Block.blocker_id == VIEWER)),
            cid.not_in(sa.select(Block.blocker_id).where(Block.blocked_id == VIEWER)),
            cid.not_in(sa.select(Mute.muted_id).where(Mute.muter_id == VIEWER)),
            cid != sa.all_(SUSPENDED),
        )
        .group_by(cid)
        .order_by(sa.func.sum(candidates.c.score).desc(), cid.desc())
        .limit(LIMIT)
    )


# Built once with bound parameters: every viewer runs the same prepared statement.
SUGGESTIONS = _suggestions()


def suggest_people(viewer, *, limit: int = 5) -> list[User]:
    """Up to `limit` people the viewer does not follow yet, the best candidates first."""
    params = {"viewer": viewer_id(viewer), "suspended": list(suspended_user_ids()), "limit": limit}
    ids = list(db.session.scalars(SUGGESTIONS, params))
    people = users_by_id(ids)
    return [people[i] for i in ids if i in people]
