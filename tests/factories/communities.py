"""Communities for tests, made through the services so counters and signals stay true."""

import itertools

from app.extensions import db
from app.models.community import Membership
from app.services.communities import membership as memberships
from app.services.communities.directory import create_community
from tests.factories.users import UserFactory

_seq = itertools.count(1)


def make_community(owner=None, *, visibility: str = "public", **values):
    owner = owner or UserFactory()
    n = next(_seq)
    values.setdefault("name", f"Community {n}")
    values.setdefault("slug", f"community-{n}")
    community = create_community(owner, visibility=visibility, **values)
    db.session.commit()
    return community


def add_member(community, user=None, *, role: str = "member", status: str = "active") -> Membership:
    """Put `user` into `community` with a role and status directly (banned and pending too)."""
    user = user or UserFactory()
    membership = Membership(community_id=community.id, user_id=user.id, role=role, status="pending")
    db.session.add(membership)
    db.session.flush()
    if status == "active":
        memberships._activate(community, membership)
    else:
        membership.status = status
    db.session.commit()
    return membership
