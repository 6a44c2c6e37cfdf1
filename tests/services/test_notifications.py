"""The notifications service: listing with keyset pages, unread counts, marking read,
blocks hiding actors, and the "new posts" announcement."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models.social import Block, Follow, Mute, Notification
from app.services import notifications
from app.services.broker import user_channel
from app.services.errors import Invalid, NotFound
from tests.factories import UserFactory


def make(user, actor, kind="like", n=1):
    made = [notifications.notify(user.id, kind, actor_id=actor.id, target_type="post", target_id=1,
                                 text=f"@{actor.username} did {kind}", url="/p/1") for _ in range(n)]
    db.session.commit()
    return made


@pytest.fixture
def pair():
    return UserFactory(display_name="Bea"), UserFactory(display_name="Ada")


@pytest.mark.parametrize("kind, sentence", [
    ("follow", "Ada followed you"),
    ("like", "Ada liked your post"),
    ("comment", "Ada commented on your post"),
    ("mention", "Ada mentioned you"),
])
def test_each_kind_reads_as_a_sentence(pair, kind, sentence):
    bea, ada = pair
    make(bea, ada, kind)
    views, _ = notifications.list_notifications(bea.id)
    assert views[0].message == sentence
    assert views[0].actor.id == ada.id


def test_an_unknown_kind_shows_its_text(pair):
    bea, _ = pair
    notifications.notify(bea.id, "payout", text="Your payout was sent")
    db.session.commit()
    assert notifications.list_notifications(bea.id)[0][0].message == "Your payout was sent"


def test_pages_are_newest_first_and_keyset(pair):
    bea, ada = pair
    made = make(bea, ada, n=5)
    first, cursor = notifications.list_notifications(bea.id, limit=2)
    assert [v.id for v in first] == [made[4].id, made[3].id]
    second, cursor = notifications.list_notifications(bea.id, cursor=cursor, limit=2)
    assert [v.id for v in second] == [made[2].id, made[1].id]
    # A notification arriving between pages does not shift the next page.
    make(bea, ada)
    third, cursor = notifications.list_notifications(bea.id, cursor=cursor, limit=2)
    assert [v.id for v in third] == [made[0].id]
    assert cursor is None


@pytest.mark.parametrize("cursor", ["garbage", "WzEsMl0", "eyJ4IjoxfQ.bad"])
def test_a_tampered_cursor_is_a_clear_error(pair, cursor):
    with pytest.raises(Invalid) as error:
        notifications.list_notifications(pair[0].id, cursor=cursor)
    assert error.value.code == "invalid_cursor"


def test_only_my_notifications_are_listed_and_counted(pair):
    bea, ada = pair
    make(bea, ada, n=2)
    make(ada, bea, n=1)
    assert notifications.unread_count(bea.id) == 2
    assert notifications.unread_count(ada.id) == 1
    assert len(notifications.list_notifications(ada.id)[0]) == 1


def test_mark_all_read(pair):
    bea, ada = pair
    make(bea, ada, n=3)
    mine_for_ada = make(ada, bea)
    assert notifications.mark_read(bea.id) == 3
    db.session.commit()
    assert notifications.unread_count(bea.id) == 0
    assert notifications.unread_count(ada.id) == 1
    assert db.session.get(Notification, mine_for_ada[0].id).read_at is None


def test_mark_some_read_ignores_other_peoples_ids(pair):
    bea, ada = pair
    made = make(bea, ada, n=3)
    theirs = make(ada, bea)
    assert notifications.mark_read(bea.id, [made[0].id, theirs[0].id]) == 1
    db.session.commit()
    assert notifications.unread_count(bea.id) == 2
    assert notifications.unread_count(ada.id) == 1
    assert notifications.mark_read(bea.id, []) == 0


def test_opening_marks_one_read_and_only_mine(pair):
    bea, ada = pair
    made = make(bea, ada, n=2)
    opened = notifications.open_notification(bea.id, made[0].id)
    db.session.commit()
    assert opened.read_at is not None
    assert notifications.unread_count(bea.id) == 1
    with pytest.raises(NotFound):
        notifications.open_notification(ada.id, made[1].id)
    with pytest.raises(NotFound):
        notifications.open_notification(bea.id, 999_999)


def test_marking_read_refreshes_the_badge_in_other_tabs(app, pair):
    bea, ada = pair
    make(bea, ada)
    subscription = app.extensions["dreamdot.broker"].subscribe([user_channel(bea.id)])
    notifications.mark_read(bea.id)
    db.session.commit()
    assert subscription.get(timeout=0.5) == {"type": "unread"}
    notifications.mark_read(bea.id)  # nothing changed: nothing announced
    db.session.commit()
    assert subscription.get(timeout=0.05) is None
    subscription.close()


def test_a_later_block_hides_earlier_notifications(pair):
    bea, ada = pair
    make(bea, ada, n=2)
    db.session.add(Block(blocker_id=ada.id, blocked_id=bea.id))
    db.session.commit()
    assert notifications.list_notifications(bea.id)[0] == []
    assert notifications.unread_count(bea.id) == 0
    assert notifications.notifications_after(bea.id, 0) == []


def test_notifications_after_gives_what_was_missed_oldest_first(pair):
    bea, ada = pair
    made = make(bea, ada, n=4)
    missed = notifications.notifications_after(bea.id, made[1].id)
    assert [v.id for v in missed] == [made[2].id, made[3].id]
    assert notifications.notifications_after(bea.id, made[1].id, limit=1)[0].id == made[3].id


def test_serialized_notification(pair):
    bea, ada = pair
    make(bea, ada, "follow")
    data = notifications.serialize_notification(notifications.list_notifications(bea.id)[0][0])
    assert data["kind"] == "follow" and data["message"] == "Ada followed you"
    assert data["actor"] == {"id": ada.id, "username": ada.username, "display_name": "Ada"}
    assert data["read"] is False and data["read_at"] is None and data["url"] == "/p/1"


def test_a_suspended_actor_is_someone(pair):
    from app.models.base import utcnow

    bea, ada = pair
    make(bea, ada, "follow")
    ada.suspended_at = utcnow()
    db.session.commit()
    assert notifications.list_notifications(bea.id)[0][0].message == "Someone followed you"


def test_new_posts_are_announced_to_followers_who_did_not_mute(app):
    author, fan, muter, stranger = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    db.session.add_all([Follow(follower_id=fan.id, followee_id=author.id),
                        Follow(follower_id=muter.id, followee_id=author.id),
                        Mute(muter_id=muter.id, muted_id=author.id)])
    db.session.commit()
    broker = app.extensions["dreamdot.broker"]
    subs = {u.id: broker.subscribe([user_channel(u.id)]) for u in (author, fan, muter, stranger)}

    class Post:  # what announce_new_post reads of a post
        id, author_id = 41, author.id

    assert notifications.announce_new_post(Post) == 1
    assert subs[fan.id].get(timeout=0.05) is None  # not before the commit
    db.session.commit()
    assert subs[fan.id].get(timeout=0.5) == {"type": "new_post", "post_id": 41, "author_id": author.id}
    for uid in (author.id, muter.id, stranger.id):
        assert subs[uid].get(timeout=0.05) is None
    for s in subs.values():
        s.close()
