"""The chat JSON API and pages through the test client."""

from __future__ import annotations

import base64
import io

from app.extensions import db
from app.models.social import Block
from app.openapi import build_spec
from app.services import chat
from tests.conftest import bearer as _bearer
from tests.conftest import csrf_token as _csrf_token
from tests.factories import UserFactory


def forget_user():
    """The test client shares the test's app context, where Flask-Login caches the user of
    the previous request in `g`: forget it so each request authenticates afresh."""
    from flask import g

    g.pop("_login_user", None)


def bearer(app, user):
    forget_user()
    return _bearer(app, user)


def csrf_token(client, path):
    forget_user()
    token = _csrf_token(client, path)
    forget_user()
    return token


KEY = base64.b64encode(b"\x07" * 32).decode()


def test_every_chat_api_route_is_in_the_openapi_document(app):
    documented = set(build_spec()["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/chat"):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            assert path in documented, path


def test_keys_register_and_are_shown_but_hidden_across_a_block(app, client):
    alice, bob = UserFactory(), UserFactory()
    headers = bearer(app, alice)
    reply = client.put("/api/chat/keys", json={"public_key": KEY}, headers=headers)
    assert reply.status_code == 200 and reply.json["fingerprint"] == chat.keys.fingerprint_of(b"\x07" * 32)
    assert client.get(f"/api/chat/keys/{alice.id}", headers=bearer(app, bob)).json["public_key"] == KEY
    db.session.add(Block(blocker_id=alice.id, blocked_id=bob.id))
    db.session.commit()
    hidden = client.get(f"/api/chat/keys/{alice.id}", headers=bearer(app, bob))
    assert hidden.status_code == 404
    # The same answer as for someone without a key: the block is not revealed.
    assert hidden.json["error"] == {"code": "no_chat_key", "message": "This user has not set up chat yet."}
    refused = client.post("/api/chat/conversations", json={"member_ids": [alice.id]}, headers=bearer(app, bob))
    assert refused.status_code == 404
    nobody = client.post("/api/chat/conversations", json={"member_ids": [99999]}, headers=bearer(app, bob))
    assert refused.json == nobody.json
    assert chat.list_conversations(alice.id) == chat.list_conversations(bob.id) == []


def test_conversations_are_made_once_and_only_with_one_other_member(app, client):
    alice, bob = UserFactory(), UserFactory()
    headers = bearer(app, alice)
    first = client.post("/api/chat/conversations", json={"member_ids": [bob.id]}, headers=headers)
    again = client.post("/api/chat/conversations", json={"member_ids": [bob.id]}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["conversation"]["id"] == again.json["conversation"]["id"]
    assert first.json["conversation"]["member_ids"] == sorted([alice.id, bob.id])
    for bad in ([], [alice.id], [bob.id, 999], ["x"], None):
        assert client.post("/api/chat/conversations", json={"member_ids": bad}, headers=headers).status_code == 400
    assert client.post("/api/chat/conversations", json={"member_ids": [99999]}, headers=headers).status_code == 404
    assert client.get("/api/chat/conversations", headers=bearer(app, UserFactory())).json == {"conversations": []}


def test_api_needs_sign_in_and_csrf_for_cookies(auth_client, client):
    from app.documents.chat import ChatKey

    anonymous = client.get("/api/chat/conversations")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
    forget_user()
    forged = auth_client.put("/api/chat/keys", json={"public_key": KEY})
    assert forged.status_code == 400  # no CSRF token
    assert forged.json["error"]["code"] == "csrf_failed" and ChatKey.objects.count() == 0
    forget_user()
    token = csrf_token(auth_client, "/chat")
    assert auth_client.put("/api/chat/keys", json={"public_key": KEY}, headers={"X-CSRFToken": token}).status_code == 200
    assert chat.get_public_key(auth_client.user.id).public_key == KEY


def test_media_over_the_limit_is_refused_and_nothing_kept(app, client):
    from app.documents.chat import MediaBlob

    headers = bearer(app, UserFactory())
    app.config["MAX_CHAT_MEDIA_BYTES"] = 1024
    try:
        reply = client.post("/api/chat/media", data={"blob": (io.BytesIO(b"x" * 2000), "blob")}, headers=headers)
    finally:
        app.config["MAX_CHAT_MEDIA_BYTES"] = 25 * 1024 * 1024
    assert reply.status_code == 413 and MediaBlob.objects.count() == 0
    empty = client.post("/api/chat/media", data={}, headers=headers)
    assert empty.status_code == 400
    assert empty.json["error"]["code"] == "validation_failed" and MediaBlob.objects.count() == 0


def test_key_backup_is_404_until_stored(app, client):
    user = UserFactory()
    missing = client.get("/api/chat/key-backup", headers=bearer(app, user))
    assert missing.status_code == 404
    assert missing.json["error"] == {"code": "no_key_backup", "message": "There is no key backup for this account."}
    sealed = {"salt": base64.b64encode(b"s" * 16).decode(), "iterations": app.config["CHAT_PBKDF2_ITERATIONS"],
              "nonce": base64.b64encode(b"\0" * 24).decode(), "ciphertext": base64.b64encode(b"\0" * 48).decode()}
    assert client.put("/api/chat/key-backup", json=sealed, headers=bearer(app, user)).status_code == 200
    assert client.get("/api/chat/key-backup", headers=bearer(app, user)).json == sealed
    assert client.get("/api/chat/key-backup", headers=bearer(app, UserFactory())).status_code == 404


def test_safety_number_is_symmetric_and_sixty_digits():
    a, b = b"\x01" * 32, b"\x02" * 32
    number = chat.safety_number(a, b)
    assert number == chat.safety_number(b, a)
    assert len(number.split()) == 12 and all(len(g) == 5 and g.isdigit() for g in number.split())
    assert number != chat.safety_number(a, b"\x03" * 32)


def test_chat_pages_with_and_without_htmx(auth_client, htmx):
    other = UserFactory()
    conversation, _ = chat.start_direct_conversation(auth_client.user.id, other.id)
    for path in ("/chat", f"/chat/{conversation.id}"):
        page = auth_client.get(path)
        assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
        assert "Chat needs JavaScript" in page.get_data(as_text=True)
        fragment = auth_client.get(path, headers=htmx)
        assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert auth_client.get("/chat/keys").status_code == 200
    assert "600000" in auth_client.get("/chat/keys").get_data(as_text=True)
    stranger = UserFactory()
    foreign, _ = chat.start_direct_conversation(other.id, stranger.id)
    outside = auth_client.get(f"/chat/{foreign.id}")
    assert outside.status_code == 403
    assert "You are not a member of this conversation." in outside.get_data(as_text=True)
    assert stranger.username not in outside.get_data(as_text=True)
    missing = auth_client.get("/chat/not-an-id")
    assert missing.status_code == 404 and "No such conversation." in missing.get_data(as_text=True)


def test_start_a_chat_by_username_without_javascript(auth_client):
    other = UserFactory()
    token = csrf_token(auth_client, "/chat")
    reply = auth_client.post("/chat/new", data={"username": other.username, "csrf_token": token})
    assert reply.status_code == 303 and reply.headers["Location"].startswith("/chat/")
    [conversation] = chat.list_conversations(auth_client.user.id)
    assert reply.headers["Location"] == f"/chat/{conversation.id}"
    assert sorted(conversation.member_ids) == sorted([auth_client.user.id, other.id])
    missing = auth_client.post("/chat/new", data={"username": "nobody-here", "csrf_token": token})
    assert missing.status_code == 303 and missing.headers["Location"] == "/chat"
    page = auth_client.get("/chat").get_data(as_text=True)
    assert "There is nobody with that username you can chat with." in page
    assert len(chat.list_conversations(auth_client.user.id)) == 1


def test_the_verified_mark_follows_the_key(auth_client):
    other = UserFactory()
    chat.register_public_key(auth_client.user.id, KEY)
    chat.register_public_key(other.id, base64.b64encode(b"\x08" * 32).decode())
    page = auth_client.get(f"/chat/safety/{other.id}")
    number = chat.safety_number(b"\x07" * 32, b"\x08" * 32)
    assert number in page.get_data(as_text=True)
    token = csrf_token(auth_client, f"/chat/safety/{other.id}")
    assert auth_client.post(f"/chat/safety/{other.id}", data={"verified": "1", "csrf_token": token}).status_code == 303
    assert chat.verification_state(auth_client.user.id, other.id)["verified"] is True
    chat.register_public_key(other.id, base64.b64encode(b"\x09" * 32).decode())
    state = chat.verification_state(auth_client.user.id, other.id)
    assert state == {**state, "verified": False, "key_changed_since_verified": True}
    assert "changed since you verified" in auth_client.get(f"/chat/safety/{other.id}").get_data(as_text=True)


def test_a_member_opens_the_community_chat_from_the_list(auth_client):
    from tests.factories.communities import make_community

    community = make_community(auth_client.user)
    page = auth_client.get("/chat").get_data(as_text=True)
    assert community.name in page and f"/chat/community/{community.slug}" in page
    token = csrf_token(auth_client, "/chat")
    reply = auth_client.post(f"/chat/community/{community.slug}", data={"csrf_token": token})
    assert reply.status_code == 303
    conversation = chat.list_conversations(auth_client.user.id)[0]
    assert reply.headers["Location"] == f"/chat/{conversation.id}" and conversation.kind == "community"
    outsider_community = make_community()
    token = csrf_token(auth_client, "/chat")
    refused = auth_client.post(f"/chat/community/{outsider_community.slug}", data={"csrf_token": token})
    assert refused.status_code == 403 and 'id="error-403"' in refused.get_data(as_text=True)
    assert chat.list_conversations(auth_client.user.id) == [conversation]
