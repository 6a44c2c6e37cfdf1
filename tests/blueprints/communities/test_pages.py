"""Community pages, each tested without JavaScript (full page or 303) and with HTMX
(the fragment, or HX-Redirect)."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.community import Community, CommunityPost, CommunityReply, Membership
from app.services.communities import membership as m
from app.services.communities import moderation
from app.services.communities import threads as t
from tests.conftest import HTMX, csrf_token, sign_in
from tests.factories import UserFactory, add_member, make_community


@pytest.fixture
def owner_client(app, user):
    client = app.test_client()
    sign_in(client, user)
    client.user = user
    client.token = csrf_token(client, "/communities")
    return client


@pytest.fixture
def community(user):
    return make_community(user, name="Makers Guild", slug="makers")


def _post(client, path, data=None, htmx=False):
    return client.post(path, data={"csrf_token": client.token, **(data or {})}, headers=HTMX if htmx else {})


def _member_client(app, community, role="member", status="active"):
    member = UserFactory()
    add_member(community, member, role=role, status=status)
    client = app.test_client()
    sign_in(client, member)
    client.user, client.token = member, csrf_token(client, "/communities")
    return client


def test_directory_full_and_fragment(client, community):
    page = client.get("/communities?q=make&sort=size")
    assert page.status_code == 200 and "<html" in page.text and "Makers Guild" in page.text
    fragment = client.get("/communities?q=make", headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="directory">') and "Makers Guild" in fragment.text
    assert "Makers Guild" not in client.get("/communities?q=zzz").text
    bad = client.get("/communities?cursor=bad")
    assert bad.status_code == 400 and "That cursor is not valid." in bad.text


def test_create_without_and_with_htmx(owner_client):
    assert owner_client.get("/communities/new").status_code == 200
    response = _post(owner_client, "/communities/new", {"name": "Ink Club", "slug": "ink-club", "visibility": "private"})
    assert response.status_code == 303 and response.headers["Location"] == "/communities/ink-club"
    response = _post(owner_client, "/communities/new", {"name": "Ink Two", "slug": "ink-two"}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/communities/ink-two"
    assert db.session.scalar(sa.select(Community.visibility).where(Community.slug == "ink-club")) == "private"


@pytest.mark.parametrize("htmx", [False, True])
def test_taken_or_malformed_slug_shows_the_form_with_errors(owner_client, community, htmx):
    response = _post(owner_client, "/communities/new", {"name": "Again", "slug": "makers"}, htmx=htmx)
    assert response.status_code == 422 and "Already taken" in response.text
    assert ("<html" in response.text) is not htmx
    response = _post(owner_client, "/communities/new", {"name": "Again", "slug": "Bad Slug!"}, htmx=htmx)
    assert response.status_code == 422 and "lowercase letters" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 1


def test_anonymous_is_sent_to_sign_in(client, community):
    response = client.get("/communities/new")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    response = client.get("/communities/new", headers=HTMX)
    assert "/signin" in response.headers["HX-Redirect"]


def test_edit_by_owner_only(app, owner_client, community):
    assert owner_client.get("/communities/makers/edit").status_code == 200
    response = _post(owner_client, "/communities/makers/edit", {"name": "Makers United", "description": "d"})
    assert response.status_code == 303
    response = _post(owner_client, "/communities/makers/edit", {"name": "M", "description": "d"}, htmx=True)
    assert response.status_code == 422 and "<html" not in response.text
    member = _member_client(app, community)
    assert member.get("/communities/makers/edit").status_code == 403
    assert _post(member, "/communities/makers/edit", {"name": "Hijack"}).status_code == 403
    assert db.session.get(Community, community.id).name == "Makers United"


def test_show_full_and_threads_fragment(client, community, user):
    t.create_post(community, user, title="First thread", body="hello")
    db.session.commit()
    page = client.get("/communities/makers")
    assert page.status_code == 200 and "First thread" in page.text and "Sign in to join" in page.text
    fragment = client.get("/communities/makers", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="threads">') and "First thread" in fragment.text


def test_private_community_page_hides_threads_and_thread_is_404(app, user):
    community = make_community(user, visibility="private", slug="secret")
    post = t.create_post(community, user, title="Hidden thread", body="b")
    db.session.commit()
    outsider = app.test_client()
    sign_in(outsider, UserFactory())
    page = outsider.get("/communities/secret")
    assert page.status_code == 200 and "Hidden thread" not in page.text and "Ask to join" in page.text
    assert outsider.get(f"/communities/secret/posts/{post.id}").status_code == 404
    assert outsider.get(f"/api/communities/posts/{post.id}").status_code == 404
    assert outsider.get("/communities/secret/members").status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_join_and_leave(app, community, htmx):
    client = app.test_client()
    joiner = UserFactory()
    sign_in(client, joiner)
    client.token = csrf_token(client, "/communities")
    response = _post(client, "/communities/makers/join", htmx=htmx)
    if htmx:  # the buttons, and out of band the count and "New thread"
        assert response.status_code == 200 and 'id="membership-' in response.text and "Leave" in response.text
        assert f'<span id="member-count-{community.id}" hx-swap-oob="true">2 members</span>' in response.text
        actions = response.text[response.text.index(f'id="community-actions-{community.id}"'):]
        assert actions.startswith(f'id="community-actions-{community.id}" class="community-actions" hx-swap-oob="true"')
        assert "New thread" in actions
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/communities/makers"
    assert m.is_member(community.id, joiner.id)
    again = _post(client, "/communities/makers/join", htmx=htmx)
    assert again.status_code == 409
    response = _post(client, "/communities/makers/leave", htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    if htmx:
        assert ">1 member</span>" in response.text and "New thread" not in response.text
    assert not m.is_member(community.id, joiner.id)


def test_the_community_page_has_the_regions_joining_updates(app, community):
    client = app.test_client()
    sign_in(client, UserFactory())
    page = client.get("/communities/makers").text
    assert f'<span id="member-count-{community.id}">1 member</span>' in page
    assert f'<div id="community-actions-{community.id}" class="community-actions">' in page
    assert "New thread" not in page


def test_leaving_a_private_community_with_htmx_loads_the_page_again(app, user):
    private = make_community(user, name="Inner", slug="inner", visibility="private")
    client = _member_client(app, private)
    response = _post(client, "/communities/inner/leave", htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/communities/inner"
    assert "You left Inner." in client.get("/communities/inner").text  # its threads are gone with it


def test_owner_cannot_leave(owner_client, community):
    response = _post(owner_client, "/communities/makers/leave")
    assert response.status_code == 409 and "Transfer ownership" in response.text
    assert m.is_member(community.id, owner_client.user.id)


@pytest.mark.parametrize("htmx", [False, True])
def test_requests_approve_and_refuse(app, owner_client, user, htmx):
    community = make_community(user, visibility="private", slug="closed")
    asker, other = UserFactory(), UserFactory()
    m.join_community(community, asker)
    m.join_community(community, other)
    db.session.commit()
    page = owner_client.get("/communities/closed/requests", headers=HTMX if htmx else {})
    assert page.status_code == 200 and asker.username in page.text and ("<html" in page.text) is not htmx
    response = _post(owner_client, f"/communities/closed/requests/{asker.id}/approve", htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    response = _post(owner_client, f"/communities/closed/requests/{other.id}/refuse", htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    if htmx:
        assert 'id="requests"' in response.text and "No requests waiting" in response.text
    assert m.is_member(community.id, asker.id) and m.get_membership(community.id, other.id) is None


def test_member_cannot_see_requests_or_log(app, owner_client, community):
    troll = UserFactory()
    add_member(community, troll)
    m.ban_member(community, owner_client.user, troll.id, "trolling the newcomers")
    db.session.commit()
    assert "trolling the newcomers" in owner_client.get("/communities/makers/log").text
    member = _member_client(app, community)
    for page in ("requests", "log"):
        response = member.get(f"/communities/makers/{page}")
        assert response.status_code == 403
        assert 'id="error-403"' in response.text and "Only the community&#39;s moderators can see this." in response.text
        assert "trolling the newcomers" not in response.text and troll.username not in response.text


@pytest.mark.parametrize("htmx", [False, True])
def test_roles_ban_unban_remove_transfer(app, owner_client, community, htmx):
    target = UserFactory()
    add_member(community, target)
    page = owner_client.get("/communities/makers/members", headers=HTMX if htmx else {})
    assert page.status_code == 200 and "Make moderator" in page.text
    ok = 200 if htmx else 303
    assert _post(owner_client, f"/communities/makers/members/{target.id}/role", {"role": "moderator"}, htmx).status_code == ok
    assert m.get_membership(community.id, target.id).role == "moderator"
    assert _post(owner_client, f"/communities/makers/members/{target.id}/ban", {"reason": "rude"}, htmx).status_code == ok
    assert m.get_membership(community.id, target.id).status == "banned"
    response = _post(owner_client, f"/communities/makers/members/{target.id}/unban", htmx=htmx)
    assert response.status_code == ok
    add_member(community, target)
    assert _post(owner_client, f"/communities/makers/members/{target.id}/remove", htmx=htmx).status_code == ok
    assert m.get_membership(community.id, target.id) is None
    add_member(community, target)
    assert _post(owner_client, f"/communities/makers/members/{target.id}/transfer", htmx=htmx).status_code == ok
    assert db.session.get(Community, community.id).owner_id == target.id


def test_member_promoting_themself_and_moderator_banning_owner(app, owner_client, community):
    member = _member_client(app, community)
    response = _post(member, f"/communities/makers/members/{member.user.id}/role", {"role": "moderator"})
    assert response.status_code == 403
    assert m.get_membership(community.id, member.user.id).role == "member"
    moderator = _member_client(app, community, role="moderator")
    response = _post(moderator, f"/communities/makers/members/{owner_client.user.id}/ban", {"reason": "coup"})
    assert response.status_code == 403 and "cannot ban" in response.text
    assert m.get_membership(community.id, owner_client.user.id).status == "active"


@pytest.mark.parametrize("htmx", [False, True])
def test_new_thread_page_and_post(owner_client, community, htmx):
    assert owner_client.get("/communities/makers/posts/new").status_code == 200
    response = _post(owner_client, "/communities/makers/posts/new", {"title": "Hello", "body": "**hi**"}, htmx)
    post = db.session.scalar(sa.select(CommunityPost))
    location = f"/communities/makers/posts/{post.id}"
    assert (response.headers.get("HX-Redirect") if htmx else response.headers["Location"]) == location
    bad = _post(owner_client, "/communities/makers/posts/new", {"title": "", "body": ""}, htmx)
    assert bad.status_code == 422 and ("<html" in bad.text) is not htmx and "Write something" in bad.text


def test_non_member_and_banned_cannot_open_new_thread(app, community):
    banned = _member_client(app, community, status="banned")
    response = _post(banned, "/communities/makers/posts/new", {"title": "Hi", "body": "b"})
    assert response.status_code == 403 and "banned" in response.text
    assert banned.get("/communities/makers/posts/new").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityPost)) == 0


def test_thread_page_and_fragment(client, community, user):
    post = t.create_post(community, user, title="Topic", body="*body*")
    t.create_reply(community, post, user, body="first answer")
    db.session.commit()
    page = client.get(f"/communities/makers/posts/{post.id}")
    assert page.status_code == 200 and "<em>body</em>" in page.text and "first answer" in page.text
    fragment = client.get(f"/communities/makers/posts/{post.id}", headers=HTMX)
    assert fragment.text.lstrip().startswith(f'<article id="thread-{post.id}"')
    elsewhere = client.get(f"/communities/other/posts/{post.id}")
    assert elsewhere.status_code == 404 and "No such community." in elsewhere.text and "first answer" not in elsewhere.text


@pytest.mark.parametrize("htmx", [False, True])
def test_reply_like_lock_pin(owner_client, community, htmx):
    post = t.create_post(community, owner_client.user, title="Topic", body="b")
    db.session.commit()
    base = f"/communities/makers/posts/{post.id}"
    response = _post(owner_client, f"{base}/replies", {"body": "an answer"}, htmx)
    if htmx:
        assert response.status_code == 200 and response.text.lstrip().startswith('<section id="replies"')
        assert "an answer" in response.text and "1 reply" in response.text
        box = response.text[response.text.index('<textarea'):response.text.index('</textarea>')]
        assert "an answer" not in box  # the reply box is empty again
    else:
        assert response.status_code == 303 and response.headers["Location"].startswith(base + "#reply-")
    bad = _post(owner_client, f"{base}/replies", {"body": " "}, htmx)
    assert bad.status_code == 422 and "Write something" in bad.text
    liked = _post(owner_client, f"{base}/like", htmx=htmx)
    assert liked.status_code == (200 if htmx else 303)
    if htmx:
        assert 'id="like-' in liked.text and "1 like" in liked.text
    assert _post(owner_client, f"{base}/unlike", htmx=htmx).status_code == (200 if htmx else 303)
    locked = _post(owner_client, f"{base}/lock", htmx=htmx)
    assert locked.status_code == (200 if htmx else 303)
    if htmx:
        assert locked.text.lstrip().startswith(f'<header id="thread-head-{post.id}"') and "Unlock" in locked.text
    assert _post(owner_client, f"{base}/pin", htmx=htmx).status_code == (200 if htmx else 303)
    refreshed = db.session.get(CommunityPost, post.id)
    assert refreshed.locked and refreshed.pinned and refreshed.like_count == 0


def test_reply_to_locked_thread_is_refused(app, owner_client, community):
    member = _member_client(app, community)
    post = t.create_post(community, owner_client.user, title="Closed", body="b")
    moderation.set_locked(community, owner_client.user, post.id, True)
    db.session.commit()
    page = member.get(f"/communities/makers/posts/{post.id}")
    assert "This thread is locked" in page.text and 'id="reply-form"' not in page.text
    response = _post(member, f"/communities/makers/posts/{post.id}/replies", {"body": "sneak"})
    assert response.status_code == 403 and "locked" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunityReply)) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_remove_thread_and_reply_then_log(app, owner_client, community, htmx):
    author = _member_client(app, community).user
    post = t.create_post(community, author, title="Spam", body="b")
    reply = t.create_reply(community, post, author, body="spam")
    db.session.commit()
    response = _post(owner_client, f"/communities/makers/replies/{reply.id}/remove", {"reason": "junk"}, htmx)
    target = f"/communities/makers/posts/{post.id}"
    assert (response.headers.get("HX-Redirect") if htmx else response.headers["Location"]) == target
    missing_reason = _post(owner_client, f"/communities/makers/posts/{post.id}/remove", {"reason": ""}, htmx)
    assert missing_reason.status_code == 400
    response = _post(owner_client, f"/communities/makers/posts/{post.id}/remove", {"reason": "spam"}, htmx)
    assert (response.headers.get("HX-Redirect") if htmx else response.headers["Location"]) == "/communities/makers"
    log = owner_client.get("/communities/makers/log", headers=HTMX if htmx else {})
    assert log.status_code == 200 and "post removed" in log.text and "reason: spam" in log.text
    assert ("<html" in log.text) is not htmx


@pytest.mark.parametrize("htmx", [False, True])
def test_an_author_deletes_their_own_thread_and_reply(app, owner_client, community, htmx):
    member = _member_client(app, community)
    post = t.create_post(community, member.user, title="Second thoughts", body="b")
    mine = t.create_reply(community, post, member.user, body="hmm")
    theirs = t.create_reply(community, post, owner_client.user, body="welcome")
    db.session.commit()
    page = member.get(f"/communities/makers/posts/{post.id}").text
    assert 'id="delete-own-thread"' in page and "cannot be undone" in page
    assert page.count("Delete my reply") == 1 and "Remove reply" not in page
    refused = _post(member, f"/communities/makers/replies/{theirs.id}/remove", {}, htmx)
    assert refused.status_code == 403 and db.session.get(CommunityReply, theirs.id).removed_at is None
    _post(member, f"/communities/makers/replies/{mine.id}/remove", {}, htmx)
    response = _post(member, f"/communities/makers/posts/{post.id}/remove", {}, htmx)
    assert (response.headers.get("HX-Redirect") if htmx else response.headers["Location"]) == "/communities/makers"
    db.session.expire_all()
    assert db.session.get(CommunityReply, mine.id).removed_at is not None
    assert db.session.get(CommunityPost, post.id).removed_by_id == member.user.id
    assert owner_client.get(f"/communities/makers/posts/{post.id}").status_code == 404
    assert 'id="delete-own-thread"' not in owner_client.get(
        f"/communities/makers/posts/{t.create_post(community, member.user, title='x', body='b').id}").text


def test_forms_need_csrf(owner_client, community):
    response = owner_client.post("/communities/makers/leave", data={})
    assert response.status_code == 400
    assert db.session.get(Membership, (community.id, owner_client.user.id)) is not None


@pytest.mark.parametrize("htmx", [False, True])
def test_unlock_unpin_and_get_forms(owner_client, community, htmx):
    post = t.create_post(community, owner_client.user, title="Topic", body="b")
    moderation.set_locked(community, owner_client.user, post.id, True)
    moderation.set_pinned(community, owner_client.user, post.id, True)
    db.session.commit()
    base = f"/communities/makers/posts/{post.id}"
    for action in ("unlock", "unpin"):
        response = _post(owner_client, f"{base}/{action}", htmx=htmx)
        assert response.status_code == (200 if htmx else 303)
    refreshed = db.session.get(CommunityPost, post.id)
    assert not refreshed.locked and not refreshed.pinned
    headers = HTMX if htmx else {}
    form = owner_client.get("/communities/makers/posts/new", headers=headers)
    assert form.status_code == 200 and ("<html" in form.text) is not htmx and 'id="post-form"' in form.text
    edit = owner_client.get("/communities/makers/edit", headers=headers)
    assert edit.status_code == 200 and ("<html" in edit.text) is not htmx
    saved = _post(owner_client, "/communities/makers/edit", {"name": "Renamed Guild", "description": ""}, htmx)
    assert (saved.headers.get("HX-Redirect") if htmx else saved.headers["Location"]) == "/communities/makers"


def test_moderator_cannot_remove_or_ban_another_moderator(app, owner_client, community):
    moderator = _member_client(app, community, role="moderator")
    other = _member_client(app, community, role="moderator")
    for action in ("remove", "ban"):
        response = _post(moderator, f"/communities/makers/members/{other.user.id}/{action}", {"reason": "x"})
        assert response.status_code == 403
    assert m.get_membership(community.id, other.user.id).status == "active"


def test_reply_mention_notifies(app, owner_client, community):
    member = _member_client(app, community)
    post = t.create_post(community, owner_client.user, title="Topic", body="b")
    db.session.commit()
    _post(member, f"/communities/makers/posts/{post.id}/replies", {"body": f"hi @{owner_client.user.username}"})
    from app.models.social import Notification

    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == owner_client.user.id)).all()
    assert kinds == ["community_reply"]
