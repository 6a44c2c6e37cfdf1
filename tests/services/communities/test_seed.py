"""`flask seed` adds communities with members and threads, sized by options, into empty databases."""

import sqlalchemy as sa

from app.extensions import db
from app.models.community import Community, CommunityPost, Membership


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_command_sizes_and_refuses_a_second_run(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--users", "6", "--communities", "3", "--threads", "2", "--replies", "1"])
    assert result.exit_code == 0, result.output
    assert "communities: 3" in result.output
    assert _count(Community) == 3 and _count(CommunityPost) == 6
    assert _count(Membership, Membership.role == "owner") == 3
    assert _count(Membership, Membership.status == "pending") >= 1  # the private one has a waiting request
    for community in db.session.scalars(sa.select(Community)):
        active = _count(Membership, Membership.community_id == community.id, Membership.status == "active")
        assert community.member_count == active >= 2
    again = runner.invoke(args=["seed", "--users", "6", "--communities", "3"])
    assert again.exit_code == 1 and "fills empty databases only" in again.output
    assert _count(Community) == 3 and _count(CommunityPost) == 6
