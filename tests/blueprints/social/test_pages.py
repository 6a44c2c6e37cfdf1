import sqlalchemy as sa

from app.extensions import db
from app.models.social import Block, Follow, Mute, Notification
from tests.conftest import csrf_token
from tests.factories import PostFactory, UserFactory, block, follow, mute


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_follow_without_js_and_with_htmx(auth_client, htmx):
    other = UserFactory()
    token = csrf_token(auth_client, f"/u/{other.username}")
    response = auth_client.post(f"/u/{other.username}/follow",
                                data={"csrf_token": token, "next": f"/u/{other.username}"})
    assert response.status_code == 303 and response.headers["Location"] == f"/u/{other.username}"
    page = auth_client.get(f"/u/{other.username}").get_data(as_text=True)
    assert "Unfollow" in page and '<strong class="followers-count">1</strong>' in page
    response = auth_client.post(f"/u/{other.username}/unfollow", headers={**htmx, "X-CSRFToken": token})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<div id="follow-{other.id}"') and ">Follow<" in body
    assert count(Follow) == 0
    kinds = db.session.scalars(sa.select(Notification.kind)).all()
    assert kinds == ["follow"]


def test_no_follow_button_on_my_own_profile_and_following_myself_is_400(auth_client):
    me = auth_client.user
    token = csrf_token(auth_client, f"/u/{me.username}")
    assert "follow-button" not in auth_client.get(f"/u/{me.username}").get_data(as_text=True)
    response = auth_client.post(f"/u/{me.username}/follow", data={"csrf_token": token})
    assert response.status_code == 400 and "cannot follow yourself" in response.get_data(as_text=True)
    assert count(Follow) == 0


def test_follower_and_following_lists(client, htmx):
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    follow(b, a)
    follow(c, a)
    follow(a, c)
    page = client.get(f"/u/{a.username}/followers").get_data(as_text=True)
    assert b.username in page and c.username in page
    fragment = client.get(f"/u/{a.username}/following", headers=htmx).get_data(as_text=True)
    assert "<html" not in fragment and c.username in fragment and b.username not in fragment


def test_block_is_explained_then_taken_and_listed(auth_client, htmx):
    other = UserFactory()
    follow(auth_client.user, other)
    follow(other, auth_client.user)
    confirm = auth_client.get(f"/u/{other.username}/block")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Neither of you will see" in text and "<html" in text
    fragment = auth_client.get(f"/u/{other.username}/block", headers=htmx).get_data(as_text=True)
    assert "<html" not in fragment and "stop following each other" in fragment
    assert count(Block) == 0  # looking at the explanation changes nothing
    token = csrf_token(auth_client, "/settings/blocks")
    response = auth_client.post(f"/u/{other.username}/block", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/blocks"
    assert count(Block) == 1 and count(Follow) == 0
    hidden = auth_client.get(f"/u/{other.username}")
    assert hidden.status_code == 404 and f'id="profile-{other.id}"' not in hidden.get_data(as_text=True)
    listing = auth_client.get("/settings/blocks").get_data(as_text=True)
    assert other.username in listing and "Unblock" in listing
    response = auth_client.post(f"/settings/blocks/{other.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303 and count(Block) == 0
    shown = auth_client.get(f"/u/{other.username}")
    assert shown.status_code == 200 and f'<section id="profile-{other.id}"' in shown.get_data(as_text=True)
    assert count(Follow) == 0  # unblocking does not bring the follows back


def test_blocked_user_gets_404_for_the_blockers_profile_and_posts(auth_client):
    other = UserFactory(display_name="Blocker Person")
    post = PostFactory(author_id=other.id, body="not for the blocked")
    block(other, auth_client.user)
    for path in (f"/u/{other.username}", f"/u/{other.username}/followers", f"/posts/{post.id}"):
        response = auth_client.get(path)
        assert response.status_code == 404
        text = response.get_data(as_text=True)
        assert 'id="error-404"' in text and "Blocker Person" not in text and "not for the blocked" not in text, path


def test_signed_out_readers_see_profiles_of_users_with_blocks(client):
    a, b = UserFactory(display_name="Blocker Person"), UserFactory()
    PostFactory(author_id=a.id, body="open to every reader")
    block(a, b)
    response = client.get(f"/u/{a.username}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f'<section id="profile-{a.id}"' in text and "Blocker Person" in text and "open to every reader" in text


def test_mute_is_explained_silent_and_listed(auth_client):
    other = UserFactory()
    follow(auth_client.user, other)
    PostFactory(author_id=other.id, body="muted words")
    text = auth_client.get(f"/u/{other.username}/mute").get_data(as_text=True)
    assert "They are not told" in text
    token = csrf_token(auth_client, "/settings/mutes")
    assert auth_client.post(f"/u/{other.username}/mute", data={"csrf_token": token}).status_code == 303
    assert count(Mute) == 1
    assert "muted words" not in auth_client.get("/home").get_data(as_text=True)
    assert other.username in auth_client.get("/settings/mutes").get_data(as_text=True)
    assert count(Notification) == 0
    auth_client.post(f"/settings/mutes/{other.id}/delete", data={"csrf_token": token})
    assert count(Mute) == 0
    assert "muted words" in auth_client.get("/home").get_data(as_text=True)


def test_muted_user_cannot_tell(auth_client, make_client):
    from tests.conftest import sign_in

    other = UserFactory()
    mute(auth_client.user, other)
    theirs = make_client()
    sign_in(theirs, other)
    page = theirs.get(f"/u/{auth_client.user.username}").get_data(as_text=True)
    assert "muted you" not in page.lower() and "unmute" not in page.lower()
    assert theirs.get(f"/posts/{PostFactory(author_id=auth_client.user.id).id}").status_code == 200


def test_mute_confirmation_loads_in_place_with_htmx(auth_client, htmx):
    other = UserFactory()
    fragment = auth_client.get(f"/u/{other.username}/mute", headers=htmx).get_data(as_text=True)
    assert "<html" not in fragment and "Their posts leave your home and explore feeds" in fragment
    assert count(Mute) == 0


def test_settings_pages_need_sign_in(client):
    for path in ("/settings/blocks", "/settings/mutes"):
        response = client.get(path)
        assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_unblock_only_touches_my_own_blocks(auth_client):
    a, b = UserFactory(), UserFactory()
    block(a, b)
    token = csrf_token(auth_client, "/settings/blocks")
    auth_client.post(f"/settings/blocks/{b.id}/delete", data={"csrf_token": token})
    assert count(Block) == 1
    assert auth_client.post("/settings/blocks/99999999999999999999/delete",
                            data={"csrf_token": token}).status_code in (303, 404)
    assert count(Block) == 1
