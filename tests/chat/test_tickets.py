"""Single-use websocket tickets: `POST /api/chat/ticket`, then `/chat/ws?ticket=`. No
long-lived credential goes into the websocket's URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import websocket

from app.extensions import db
from app.models import ChatTicket
from app.models.base import utcnow
from tests.chat.test_api import csrf_token, forget_user


def open_socket(server, query: str):
    return websocket.create_connection(f"{server.ws_url}/chat/ws{query}", origin=server.url, timeout=5)


def refused(server, query: str) -> int:
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        open_socket(server, query)
    return caught.value.status_code


def test_a_ticket_opens_the_socket_once(make_peer, live_server):
    alice = make_peer(connect=False)
    reply = alice.http.post("/api/chat/ticket")
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"ticket", "expires_in"} and 0 < body["expires_in"] <= 60
    assert reply.headers["Cache-Control"] == "no-store"
    ws = open_socket(live_server, f"?ticket={body['ticket']}")
    ws.close()
    assert refused(live_server, f"?ticket={body['ticket']}") == 401  # used


def test_only_a_hash_of_the_ticket_is_stored(make_peer):
    alice = make_peer(connect=False)
    ticket = alice.ticket()
    rows = db.session.scalars(sa.select(ChatTicket).where(ChatTicket.user_id == alice.id)).all()
    assert len(rows) == 1 and ticket not in {rows[0].ticket_hash, rows[0].session_id}
    assert rows[0].expires_at - rows[0].created_at <= timedelta(seconds=60)


def test_an_expired_ticket_is_refused(make_peer, live_server):
    alice = make_peer(connect=False)
    ticket = alice.ticket()
    db.session.execute(sa.update(ChatTicket).where(ChatTicket.user_id == alice.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert refused(live_server, f"?ticket={ticket}") == 401


def test_a_ticket_opens_its_own_users_socket_only(make_peer, live_server):
    alice, bob = make_peer(connect=False), make_peer(connect=False)
    alice.connect()
    conversation_id = bob.direct_with(alice.id)
    bob.ws = open_socket(live_server, f"?ticket={alice.ticket()}")  # bob holds alice's ticket
    bob.emit("typing", {"conversation_id": conversation_id, "is_typing": True})
    # The socket is alice's: her own typing is not relayed back to her, and bob sees nothing.
    assert alice.quiet("typing", conversation_id=conversation_id)
    assert refused(live_server, "?ticket=" + "x" * 43) == 401  # a made-up ticket


def test_a_ticket_of_a_signed_out_session_is_refused(make_peer, live_server):
    alice = make_peer(connect=False)
    ticket = alice.ticket()
    assert alice.http.post("/api/auth/signout").status_code in (200, 204)
    assert refused(live_server, f"?ticket={ticket}") == 401
    assert alice.http.post("/api/chat/ticket").status_code == 401


def test_an_api_token_in_the_url_is_refused(make_peer, live_server):
    alice = make_peer(connect=False)
    assert refused(live_server, f"?token={alice.token}") == 401
    assert refused(live_server, f"?token={alice.token}&ticket=") == 401


def test_a_ticket_needs_sign_in_and_csrf_for_cookies(auth_client, client):
    forget_user()
    assert client.post("/api/chat/ticket").status_code == 401
    forget_user()
    assert auth_client.post("/api/chat/ticket").status_code == 400  # no CSRF token
    token = csrf_token(auth_client, "/chat")
    reply = auth_client.post("/api/chat/ticket", headers={"X-CSRFToken": token})
    assert reply.status_code == 200 and reply.json["ticket"]
    row = db.session.scalar(sa.select(ChatTicket))
    assert row.session_kind == "web"
