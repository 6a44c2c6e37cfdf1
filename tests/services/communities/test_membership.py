"""Membership through the services: joining, requests, leaving, roles, bans, signals."""

import pytest

from app.extensions import db
from app.models import AuditEvent
from app.models.community import Membership
from app.models.social import Notification
from app.services.communities import membership as m
from app.services.errors import Conflict, NotAllowed, NotFound
from tests.factories import UserFactory, add_member, make_community


@pytest.fixture
def received():
    events = []

    def on_join(sender, user_id):
        events.append(("joined", sender.slug, user_id))

    def on_leave(sender, user_id):
        events.append(("left", sender.slug, user_id))

    m.member_joined.connect(on_join)
    m.member_left.connect(on_leave)
    yield events
    m.member_joined.disconnect(on_join)
    m.member_left.disconnect(on_leave)


def test_creator_is_owner_and_member(received):
    owner = UserFactory()
    community = make_community(owner, slug="makers")
    assert m.get_community_by_slug("makers").id == community.id
    assert m.is_member(community.id, owner.id)
    assert m.member_ids(community.id) == [owner.id]
    assert m.get_membership(community.id, owner.id).role == "owner"
    assert community.member_count == 1
    assert received == [("joined", "makers", owner.id)]


def test_unknown_slug_is_not_found():
    with pytest.raises(NotFound):
        m.get_community_by_slug("nope")


def test_join_public_at_once_and_twice_is_conflict(received):
    community = make_community()
    user = UserFactory()
    received.clear()
    m.join_community(community, user)
    assert m.is_member(community.id, user.id)
    assert community.member_count == 2
    assert received == [("joined", community.slug, user.id)]
    with pytest.raises(Conflict) as exc:
        m.join_community(community, user)
    assert exc.value.code == "already_member"
    assert community.member_count == 2


def test_private_join_is_a_request_until_approved(received):
    owner = UserFactory()
    community = make_community(owner, visibility="private")
    user = UserFactory()
    received.clear()
    m.join_community(community, user)
    assert not m.is_member(community.id, user.id)
    assert m.member_ids(community.id) == [owner.id]
    assert received == []
    with pytest.raises(Conflict):
        m.join_community(community, user)
    m.approve_request(community, owner, user.id)
    assert m.is_member(community.id, user.id)
    assert received == [("joined", community.slug, user.id)]
    kinds = [n.kind for n in db.session.scalars(db.select(Notification).where(Notification.user_id == user.id))]
    assert kinds == ["community_request_approved"]
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "community.request_approved"))


def test_refused_request_is_gone():
    owner = UserFactory()
    community = make_community(owner, visibility="private")
    user = UserFactory()
    m.join_community(community, user)
    m.refuse_request(community, owner, user.id)
    assert m.get_membership(community.id, user.id) is None
    told = db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)).all()
    assert [(n.kind, n.actor_id) for n in told] == [("community_request_refused", None)]
    assert community.name in told[0].text and "not accepted" in told[0].text
    with pytest.raises(NotFound):
        m.approve_request(community, owner, user.id)


def test_member_cannot_review_requests():
    community = make_community(visibility="private")
    member = add_member(community)
    requester = UserFactory()
    m.join_community(community, requester)
    with pytest.raises(NotAllowed):
        m.approve_request(community, db.session.get(type(requester), member.user_id), requester.id)
    assert not m.is_member(community.id, requester.id)


def test_leave_and_owner_must_transfer(received):
    owner = UserFactory()
    community = make_community(owner)
    user = UserFactory()
    add_member(community, user)
    received.clear()
    m.leave_community(community, user)
    assert not m.is_member(community.id, user.id)
    assert received == [("left", community.slug, user.id)]
    with pytest.raises(Conflict) as exc:
        m.leave_community(community, owner)
    assert exc.value.code == "owner_must_transfer"
    add_member(community, user)
    m.transfer_ownership(community, owner, user.id)
    assert community.owner_id == user.id
    assert m.get_membership(community.id, owner.id).role == "moderator"
    m.leave_community(community, owner)
    assert m.member_ids(community.id) == [user.id]


def test_roles_only_by_owner_and_never_self_promotion():
    owner = UserFactory()
    community = make_community(owner)
    member = UserFactory()
    add_member(community, member)
    with pytest.raises(NotAllowed):
        m.set_role(community, member, member.id, "moderator")
    assert m.get_membership(community.id, member.id).role == "member"
    m.set_role(community, owner, member.id, "moderator")
    assert m.get_membership(community.id, member.id).role == "moderator"
    other = UserFactory()
    add_member(community, other)
    with pytest.raises(NotAllowed):
        m.set_role(community, member, other.id, "moderator")
    with pytest.raises(Conflict):
        m.set_role(community, owner, owner.id, "member")
    notes = db.session.scalars(db.select(Notification).where(Notification.user_id == member.id)).all()
    assert [n.kind for n in notes] == ["community_role_changed"]


def test_moderator_cannot_ban_owner_or_moderator(received):
    owner = UserFactory()
    community = make_community(owner)
    moderator = UserFactory()
    add_member(community, moderator, role="moderator")
    other_mod = UserFactory()
    add_member(community, other_mod, role="moderator")
    received.clear()
    with pytest.raises(NotAllowed):
        m.ban_member(community, moderator, owner.id, "no")
    with pytest.raises(NotAllowed):
        m.ban_member(community, moderator, other_mod.id, "no")
    assert m.get_membership(community.id, owner.id).status == "active"
    assert received == []
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "community.member_banned")) == 0


def test_ban_then_cannot_rejoin_and_unban(received):
    owner = UserFactory()
    community = make_community(owner)
    user = UserFactory()
    add_member(community, user)
    received.clear()
    m.ban_member(community, owner, user.id, "spam")
    assert received == [("left", community.slug, user.id)]
    assert community.member_count == 1
    membership = m.get_membership(community.id, user.id)
    assert (membership.status, membership.ban_reason) == ("banned", "spam")
    with pytest.raises(NotAllowed) as exc:
        m.join_community(community, user)
    assert exc.value.code == "banned"
    with pytest.raises(Conflict):
        m.ban_member(community, owner, user.id)
    m.unban_member(community, owner, user.id)
    assert m.get_membership(community.id, user.id) is None
    m.join_community(community, user)
    assert m.is_member(community.id, user.id)


def test_ban_an_outsider_pre_emptively():
    owner = UserFactory()
    community = make_community(owner)
    stranger = UserFactory()
    m.ban_member(community, owner, stranger.id, "known troll")
    with pytest.raises(NotAllowed):
        m.join_community(community, stranger)
    assert community.member_count == 1


def test_remove_member_sends_left(received):
    owner = UserFactory()
    community = make_community(owner)
    user = UserFactory()
    add_member(community, user)
    received.clear()
    m.remove_member(community, owner, user.id)
    assert received == [("left", community.slug, user.id)]
    assert db.session.get(Membership, (community.id, user.id)) is None


def test_banning_an_unknown_user_is_not_found():
    owner = UserFactory()
    community = make_community(owner)
    with pytest.raises(NotFound):
        m.ban_member(community, owner, 999_999, "ghost")
    assert db.session.get(Membership, (community.id, 999_999)) is None


def test_community_ids_of_lists_active_memberships_only():
    user = UserFactory()
    mine = make_community(user)
    pending = make_community(visibility="private")
    m.join_community(pending, user)
    banned = make_community()
    add_member(banned, user, status="banned")
    assert m.community_ids_of(user.id) == [mine.id]
