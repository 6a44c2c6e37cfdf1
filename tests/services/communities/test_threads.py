"""Threads, replies, likes, visibility, blocks, locks, bans, notifications and moderation."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.models.community import CommunityPost, CommunityReply
from app.models.social import Block, Notification
from app.services.communities import membership as m
from app.services.communities import moderation
from app.services.communities import threads as t
from app.services.errors import Invalid, NotAllowed, NotFound
from tests.factories import UserFactory, add_member, make_community


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _kinds(user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)))


@pytest.fixture
def world():
    owner, member, outsider = UserFactory(), UserFactory(username="mara"), UserFactory()
    community = make_community(owner)
    add_member(community, member)
    return community, owner, member, outsider


def test_post_is_sanitized_and_bumps_activity(world):
    community, _, member, _ = world
    before = community.last_activity_at
    post = t.create_post(community, member, title="  Hello   there ",
                         body="**bold** <script>alert(1)</script> [x](javascript:alert(1)) [y](https://e.com)")
    assert post.title == "Hello there"
    assert "<strong>bold</strong>" in post.body_html and "<script" not in post.body_html
    assert "javascript" not in post.body_html and 'rel="nofollow noopener"' in post.body_html
    assert community.last_activity_at >= before


def test_rich_html_body_is_sanitized_too(world):
    community, _, member, _ = world
    post = t.create_post(community, member, title="T", body_html='<p onclick="x()">hi<img src=x onerror=y></p>')
    assert post.body_html == "<p>hi</p>"


def test_empty_title_or_body_is_invalid_and_writes_nothing(world):
    community, _, member, _ = world
    with pytest.raises(Invalid) as exc:
        t.create_post(community, member, title=" ", body="<script></script>")
    assert set(exc.value.fields) == {"title", "body"}
    assert _count(CommunityPost) == 0


def test_non_member_and_banned_cannot_post(world):
    community, owner, member, outsider = world
    with pytest.raises(NotAllowed) as exc:
        t.create_post(community, outsider, title="T", body="b")
    assert exc.value.code == "not_member"
    m.ban_member(community, owner, member.id, "spam")
    with pytest.raises(NotAllowed) as exc:
        t.create_post(community, member, title="T", body="b")
    assert exc.value.code == "banned"
    assert _count(CommunityPost) == 0


def test_replies_notify_thread_author_and_mentions(world):
    community, owner, member, _ = world
    post = t.create_post(community, owner, title="Ideas", body="share")
    t.create_reply(community, post, member, body="I like it, @" + owner.username + " and @nobody")
    assert _kinds(owner) == ["community_reply"]  # the author is not notified twice
    t.create_reply(community, post, owner, body="thanks @mara")
    assert _kinds(member) == ["community_mention"]
    assert post.reply_count == 2


def test_mentions_in_private_community_skip_outsiders():
    owner, outsider = UserFactory(), UserFactory(username="peeker")
    community = make_community(owner, visibility="private")
    t.create_post(community, owner, title="Secret", body="hi @peeker")
    assert _kinds(outsider) == []


def test_reply_to_locked_thread_is_refused(world):
    community, owner, member, _ = world
    post = t.create_post(community, member, title="T", body="b")
    moderation.set_locked(community, owner, post.id, True)
    with pytest.raises(NotAllowed) as exc:
        t.create_reply(community, post, member, body="late")
    assert exc.value.code == "thread_locked"
    assert _count(CommunityReply) == 0
    t.create_reply(community, post, owner, body="moderators may still answer")


def test_private_content_is_404_for_outsiders_even_by_id():
    owner, outsider = UserFactory(), UserFactory()
    community = make_community(owner, visibility="private")
    post = t.create_post(community, owner, title="Secret", body="b")
    with pytest.raises(NotFound):
        t.get_post_by_id(post.id, outsider)
    with pytest.raises(NotFound):
        t.get_post_by_id(post.id, None)
    with pytest.raises(NotFound):
        t.list_posts(community, outsider)
    with pytest.raises(NotFound):
        t.create_reply(community, post, outsider, body="hi")
    assert t.get_post_by_id(post.id, owner)[1].id == post.id


def test_block_hides_threads_and_replies_both_ways(world):
    community, owner, member, _ = world
    post = t.create_post(community, member, title="By member", body="b")
    mine = t.create_post(community, owner, title="By owner", body="b")
    t.create_reply(community, mine, member, body="member reply")
    db.session.add(Block(blocker_id=owner.id, blocked_id=member.id))
    db.session.flush()
    assert [p.id for p in t.list_posts(community, owner)[0]] == [mine.id]
    assert t.list_replies(community, mine, owner)[0] == []
    assert [p.id for p in t.list_posts(community, member)[0]] == [post.id]
    with pytest.raises(NotFound):
        t.get_post(community, post.id, owner)
    with pytest.raises(NotFound):
        t.get_post(community, mine.id, member)


def test_list_is_pinned_then_newest_activity_with_keyset(world):
    community, owner, member, _ = world
    posts = [t.create_post(community, member, title=f"P{i}", body="b") for i in range(5)]
    t.create_reply(community, posts[1], owner, body="bump")
    moderation.set_pinned(community, owner, posts[0].id, True)
    page, cursor = t.list_posts(community, member, limit=2)
    rest, end = t.list_posts(community, member, limit=2, cursor=cursor)
    last, done = t.list_posts(community, member, limit=2, cursor=end)
    order = [p.title for p in page + rest + last]
    assert order == ["P0", "P1", "P4", "P3", "P2"] and done is None


def test_likes_toggle_and_count(world):
    community, owner, member, outsider = world
    post = t.create_post(community, member, title="T", body="b")
    assert t.set_like(community, post, owner, True) == {"liked": True, "like_count": 1}
    assert t.set_like(community, post, owner, True) == {"liked": True, "like_count": 1}
    assert t.set_like(community, post, owner, False) == {"liked": False, "like_count": 0}
    with pytest.raises(NotAllowed):
        t.set_like(community, post, outsider, True)


def test_moderators_remove_with_reason_and_log(world):
    community, owner, member, _ = world
    post = t.create_post(community, member, title="Spam", body="b")
    reply = t.create_reply(community, post, member, body="more spam")
    with pytest.raises(Invalid):
        moderation.remove_post(community, owner, post.id, "  ")
    owners = t.create_post(community, owner, title="Rules", body="b")
    with pytest.raises(NotAllowed):
        moderation.remove_post(community, member, owners.id, "not mine")
    moderation.remove_reply(community, owner, reply.id, "spam reply")
    moderation.remove_post(community, owner, post.id, "spam thread")
    assert post.removed_reason == "spam thread" and reply.removed_reason == "spam reply"
    with pytest.raises(NotFound):
        t.get_post(community, post.id, member)
    events, _ = moderation.moderation_log(community, owner)
    actions = [e.action for e in events]
    assert actions[:2] == ["community.post_removed", "community.reply_removed"]
    assert events[0].details["reason"] == "spam thread"
    with pytest.raises(NotAllowed):
        moderation.moderation_log(community, member)


def test_authors_delete_their_own_threads_and_replies_without_a_reason(world):
    community, owner, member, _ = world
    post = t.create_post(community, member, title="Oops", body="b")
    own_reply = t.create_reply(community, post, member, body="typo")
    owners_reply = t.create_reply(community, post, owner, body="welcome")
    with pytest.raises(NotAllowed):
        moderation.remove_reply(community, member, owners_reply.id, None)
    moderation.remove_reply(community, member, own_reply.id, None)
    assert own_reply.removed_reason == moderation.AUTHOR_DELETED and post.reply_count == 1
    moderation.remove_post(community, member, post.id, None)
    assert post.is_removed and post.removed_by_id == member.id
    with pytest.raises(NotFound):
        t.get_post(community, post.id, owner)
    with pytest.raises(NotFound):
        moderation.remove_post(community, member, post.id, None)
    events, _ = moderation.moderation_log(community, owner)
    assert [e.action for e in events[:2]] == ["community.post_deleted_by_author", "community.reply_deleted_by_author"]


def test_moderation_log_pages_and_is_per_community(world):
    community, owner, member, _ = world
    other = make_community(owner)
    post = t.create_post(other, owner, title="Elsewhere", body="b")
    moderation.set_locked(other, owner, post.id, True)
    mine = t.create_post(community, owner, title="Here", body="b")
    for locked in (True, False, True):
        moderation.set_locked(community, owner, mine.id, locked)
    first, cursor = moderation.moderation_log(community, owner, limit=2)
    rest, end = moderation.moderation_log(community, owner, limit=2, cursor=cursor)
    ids = [e.id for e in first + rest]
    assert ids == sorted(ids, reverse=True) and end is None
    assert all(e.target_id == str(community.id) for e in first + rest)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "community.post_locked")) == 3
