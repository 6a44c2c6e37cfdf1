"""`/`: the home feed with its composer and side column when signed in, the platform's work
with a way to sign up when signed out; the favicon; a profile's counts, bio and Message."""

from __future__ import annotations

import re

from app.extensions import db
from app.services import chat
from tests.conftest import csrf_token, sign_in
from tests.factories import ItemFactory, PostFactory, UserFactory, add_member, follow, make_community


def side_column(html: str) -> str:
    return html[html.index('<aside class="side-column"'):html.index("</aside>")]


def test_signed_in_root_is_the_home_feed_with_composer_and_side_column(auth_client):
    me, friend, suggested = auth_client.user, UserFactory(display_name="Friend"), UserFactory(display_name="Suggested")
    follow(me, friend)
    follow(friend, suggested)
    PostFactory(author_id=friend.id, body="Fresh from a friend")
    community = make_community(name="Ink and Paper")
    add_member(community, me)
    db.session.commit()

    for path in ("/", "/home"):
        html = auth_client.get(path).get_data(as_text=True)
        assert '<h1 id="home-title">Home</h1>' in html and 'id="post-form"' in html
        assert "Fresh from a friend" in html
        side = side_column(html)
        assert "Wallet" in side and "$50,000.00" in side  # the sign-up grant
        assert "Ink and Paper" in side and "2 members" in side
        assert "Suggested" in side and f'action="/u/{suggested.username}/follow"' in side
        assert "Friend<" not in side  # already followed
    assert "Welcome back" not in html


def test_following_a_suggestion_comes_back_to_the_home_page(auth_client):
    other = UserFactory()
    PostFactory(author_id=other.id)
    db.session.commit()
    token = csrf_token(auth_client)
    response = auth_client.post(f"/u/{other.username}/follow", data={"csrf_token": token, "next": "/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert other.username not in side_column(auth_client.get("/").get_data(as_text=True))


def test_an_empty_home_says_what_to_do(auth_client):
    html = auth_client.get("/").get_data(as_text=True)
    assert "Your feed is empty." in html and 'href="/explore"' in html
    assert "You have not joined" not in html and "Find a community" in side_column(html)


def test_signed_out_root_shows_the_platforms_work_and_a_way_to_join(client):
    maker = UserFactory(display_name="Zine Maker")
    ItemFactory(creator_id=maker.id, title="Harbour Zine", popularity=9)
    ItemFactory(creator_id=maker.id, title="Night Comic")
    make_community(name="Weekly Comics", description="Panels and deadlines.")
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Make things. Share them. Get paid." in html
    for shelf in ("Popular now", "Creators", "Communities"):
        assert f">{shelf}</h2>" in html
    assert "Harbour Zine" in html and "Night Comic" in html
    assert "Zine Maker" in html and f'href="/creators/{maker.username}"' in html
    assert "Weekly Comics" in html and "1 member<" in html
    assert html.count('href="/signup"') >= 2 and 'id="post-form"' not in html


def test_the_favicon_is_linked_and_served(client):
    """Every page and error page names its icon, so a browser never asks for /favicon.ico."""
    for path in ("/", "/no-such-page"):
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get(path).text
    with client.get("/static/favicon.svg") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<svg")


def test_a_profile_shows_its_counts_once_links_its_bio_and_offers_a_message(auth_client, client):
    other = UserFactory(bio="Comics at https://example.com/comics and with @inkfriend <b>daily</b>")
    follow(auth_client.user, other)
    db.session.commit()
    html = auth_client.get(f"/u/{other.username}").get_data(as_text=True)
    assert re.findall(r"(\d+)</strong> followers?<", html) == ["1"]  # once, in the follow box
    bio = html[html.index('<p class="bio">'):]
    bio = bio[:bio.index("</p>")]
    assert '<a href="https://example.com/comics" rel="nofollow noopener ugc" target="_blank">' in bio
    assert '<a class="mention" href="/u/inkfriend">@inkfriend</a>' in bio
    assert "&lt;b&gt;daily&lt;/b&gt;" in bio and "<b>" not in bio
    message = html[html.index('action="/chat/new"'):]
    assert f'name="username" value="{other.username}"' in message[:400] and ">Message</button>" in message[:600]

    assert 'action="/chat/new"' not in client.get(f"/u/{other.username}").get_data(as_text=True)
    mine = auth_client.get(f"/u/{auth_client.user.username}").get_data(as_text=True)
    assert 'action="/chat/new"' not in mine and "Edit profile" in mine


def test_message_opens_the_conversation_with_that_person(auth_client):
    other = UserFactory()
    db.session.commit()
    token = csrf_token(auth_client)
    response = auth_client.post("/chat/new", data={"csrf_token": token, "username": other.username})
    assert response.status_code == 303
    conversation_id = response.headers["Location"].rsplit("/", 1)[1]
    again = auth_client.post("/chat/new", data={"csrf_token": token, "username": other.username})
    assert again.headers["Location"].endswith(conversation_id)  # the pair's one conversation


def test_the_navigation_counts_conversations_with_unread_messages(app, auth_client):
    me, other = auth_client.user, UserFactory()
    db.session.commit()
    html = auth_client.get("/explore").get_data(as_text=True)
    assert 'href="/chat"' in html and 'id="chat-badge"' not in html
    for user in (me, other):
        chat.register_public_key(user.id, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")
    conversation, _ = chat.start_direct_conversation(other.id, me.id)
    chat.send_message(other.id, {"conversation_id": str(conversation.id), "client_msg_id": "hello",
                                 "nonce": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB", "ciphertext": "Ag" * 30 + "==",
                                 "epoch": 0})
    html = auth_client.get("/explore").get_data(as_text=True)
    assert '<span class="badge" id="chat-badge">1</span>' in html
    assert '<span class="visually-hidden"> conversation with unread messages</span>' in html
    other_client = app.test_client()
    sign_in(other_client, other)
    assert 'id="chat-badge"' not in other_client.get("/explore").get_data(as_text=True)
