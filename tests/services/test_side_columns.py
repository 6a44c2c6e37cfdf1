"""What the home page's side column and the signed-out front page show: people to follow,
a member's communities, the platform's items, creators and communities."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models.base import utcnow
from app.services.accounts.visibility import forget_suspended_user_ids
from app.services.communities.highlights import largest_communities, member_communities
from app.services.discover import front_page
from app.services.home import home_side
from app.services.social.suggestions import suggest_people
from tests.factories import (
    ItemFactory,
    PostFactory,
    UserFactory,
    add_member,
    block,
    follow,
    make_community,
    mute,
)


def test_people_followed_by_the_people_i_follow_come_first():
    me, friend, theirs, poster, followed = (UserFactory() for _ in range(5))
    follow(me, friend)
    follow(friend, theirs)
    follow(me, followed)
    follow(friend, followed)
    PostFactory(author_id=poster.id)
    PostFactory(author_id=me.id)
    db.session.commit()
    assert suggest_people(me) == [theirs, poster]  # not me, not whom I follow


def test_a_newcomer_gets_recent_authors_and_nobody_hidden():
    me, blocked, blocker, muted, suspended, shown = (UserFactory() for _ in range(6))
    for author in (blocked, blocker, muted, suspended, shown):
        PostFactory(author_id=author.id)
    block(me, blocked)
    block(blocker, me)
    mute(me, muted)
    suspended.suspended_at = utcnow()
    db.session.commit()
    forget_suspended_user_ids()
    assert suggest_people(me) == [shown]
    assert suggest_people(None, limit=2) == [shown, muted]  # signed out: the newest authors


def test_member_communities_are_the_active_memberships_most_recent_first():
    me = UserFactory()
    quiet, busy, pending, other = (make_community() for _ in range(4))
    add_member(quiet, me)
    add_member(busy, me)
    add_member(pending, me, status="pending")
    quiet.last_activity_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert member_communities(me.id) == [busy, quiet]
    assert home_side(me).communities == [busy, quiet]
    assert largest_communities(limit=1) == [busy]  # two members: its owner and me


def test_the_front_page_shows_popular_and_new_items_their_creators_and_communities():
    maker, other = UserFactory(bio="I make zines."), UserFactory()
    popular = ItemFactory(creator_id=maker.id, popularity=50)
    newer = ItemFactory(creator_id=other.id, published_at=utcnow() + timedelta(minutes=1))
    ItemFactory(creator_id=other.id, status="draft", published_at=None)
    community = make_community(maker)
    db.session.commit()
    front = front_page()
    assert front.popular[0] == popular and newer in front.popular
    assert front.recent == []  # both already on the popular shelf
    assert front.creators == [other, maker] and set(front.people) == {maker.id, other.id}
    assert front.communities == [community]
