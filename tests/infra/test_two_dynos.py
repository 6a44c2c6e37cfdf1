"""Two dynos: two app processes (gunicorn's gevent worker, each on its own port) sharing one
PostgreSQL database, Redis and MongoDB, with every user on a different process from the
people they deal with. Sign-in, the feed, notifications over SSE, chat over the websocket
(both ways, typing, presence, delivered and read ticks, history from either process) and
purchases work across them. `make two-dynos` (scripts/two_dynos.sh) runs this on a fresh
database.

Both processes use the test process's own databases (tests/stores.py): PostgreSQL and the
MongoDB-protocol server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.extensions import db
from tests.conftest import CSRF_RE
from tests.factories import UserFactory
from tests.factories.payments import make_item
from tests.factories.users import PASSWORD
from tests.sse_client import SSEClient
from tests.support.processes import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.redis, pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set"),
]


@pytest.fixture
def dynos(app):
    """Two gunicorn gevent processes of the app on the test process's PostgreSQL databases,
    MongoDB database and Redis."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DREAMDOT_TEST_INSTANCE": app.instance_path,
           "DREAMDOT_TEST_BROKER_PREFIX": f"dreamdot-test-dynos-{os.getpid()}-{time.time_ns()}:",
           "SECRET_KEY": app.config["SECRET_KEY"]}
    started = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "tests.sse_server:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started.append((port, process))
    for port, process in started:
        wait_until_serving(port, process)
    yield [Dyno(port, process) for port, process in started]
    for _port, process in started:
        process.send_signal(signal.SIGQUIT)
    for _port, process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()


class Dyno:
    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port, self.process = port, process
        self.url, self.ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None,
             opener=None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, method=method, headers=headers,
                                         data=json.dumps(body).encode() if body is not None else None)
        try:
            with (opener or urllib.request.build_opener()).open(request, timeout=15) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def browser(dyno: Dyno):
    """A cookie-keeping client, as a browser is (no redirects followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)


def page(opener, url: str) -> tuple[int, str]:
    try:
        with opener.open(url, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_users_on_two_dynos_share_sign_in_feed_notifications_chat_and_purchases(app, dynos):
    one, two = dynos
    ada, bea = UserFactory(display_name="Ada"), UserFactory(display_name="Bea")
    db.session.commit()

    # Sign-in: a token from one dyno is good on the other; so is a browser's session cookie.
    status, signed = one.call("POST", "/api/auth/signin", {"login": ada.username, "password": PASSWORD})
    assert status == 200
    ada_token = signed["token"]
    status, signed = two.call("POST", "/api/auth/signin", {"login": bea.username, "password": PASSWORD})
    assert status == 200
    bea_token = signed["token"]
    assert one.call("GET", "/api/auth/me", token=bea_token)[1]["user"]["id"] == bea.id
    assert two.call("GET", "/api/auth/me", token=ada_token)[1]["user"]["id"] == ada.id
    cookies = browser(one)
    status, html = page(cookies, one.url + "/signin")
    token = CSRF_RE.search(html).group(1)
    form = urllib.parse.urlencode({"login": ada.username, "password": PASSWORD, "csrf_token": token}).encode()
    try:
        cookies.open(urllib.request.Request(one.url + "/signin", data=form), timeout=15)
    except urllib.error.HTTPError as error:
        assert error.code == 303
    status, html = page(cookies, two.url + "/home")  # the same cookie on the other dyno
    assert status == 200 and ada.username in html

    # Feed: Bea (dyno two) follows Ada; Ada posts on dyno one; Bea's feed on dyno two has it.
    assert two.call("POST", "/api/social/follow", {"user_id": ada.id}, bea_token) == (200, {"following": True})
    status, made = one.call("POST", "/api/posts/create", {"body": "hello from dyno one"}, ada_token)
    assert status == 201
    feed = two.call("GET", "/api/posts/feed", token=bea_token)[1]["posts"]
    assert [p["id"] for p in feed] == [made["post"]["id"]]

    # Notifications over SSE: Bea's stream on dyno two; Ada likes Bea's post on dyno one.
    status, bea_post = two.call("POST", "/api/posts/create", {"body": "Bea's post"}, bea_token)
    stream = SSEClient(two.port, headers={"Authorization": f"Bearer {bea_token}"})
    try:
        assert stream.status == 200 and stream.wait_for_comment("stream open", timeout=5, new=False)
        assert one.call("POST", "/api/social/likes", {"post_id": bea_post["post"]["id"]}, ada_token)[0] == 200
        event = stream.wait_for("notification", timeout=5)
        assert event is not None and "Ada" in event["data"]
    finally:
        stream.close()

    # Purchases: Ada sells; Bea buys on dyno two; Ada's earnings show on dyno one; buying
    # again on dyno one is refused; the ledger balances.
    item = make_item(ada, price_cents=1500)
    status, bought = two.call("POST", f"/api/items/{item.id}/purchase", {"expected_price_cents": 1500}, bea_token)
    assert status == 201, bought
    assert one.call("POST", f"/api/items/{item.id}/purchase", {}, bea_token)[1]["error"]["code"] == "already_owned"
    balance = one.call("GET", "/api/auth/me", token=ada_token)[1]["balance"]
    assert balance["earnings_cents"] == 1500 - 1500 * app.config["PLATFORM_FEE_BPS"] // 10000
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "ledger ok" in result.output

    chat_across(one, two, ada, ada_token, bea, bea_token)


def chat_across(one: Dyno, two: Dyno, ada, ada_token: str, bea, bea_token: str) -> None:
    """Ada's websocket on dyno one, Bea's on dyno two, the conversation's documents in the
    shared MongoDB: every frame between them crosses processes through Redis."""
    chat = pytest.importorskip("tests.chat.peers", reason="the chat capability is not merged")
    on_one, on_two = SimpleNamespace(url=one.url, ws_url=one.ws_url), SimpleNamespace(url=two.url, ws_url=two.ws_url)
    ada_peer, bea_peer = chat.Peer(on_one, ada, ada_token), chat.Peer(on_two, bea, bea_token)
    try:
        conversation_id = ada_peer.direct_with(bea.id)  # made on dyno one
        assert bea_peer.http.get("/api/chat/conversations").json()["conversations"][0]["id"] == conversation_id

        # Presence: Ada (first on) is told Bea came online; Bea is told Ada is online.
        ada_peer.connect()
        assert ada_peer.expect("presence", user_id=bea.id, timeout=5)["online"] is False
        bea_peer.connect()
        assert ada_peer.expect("presence", user_id=bea.id, online=True, timeout=5)
        assert bea_peer.expect("presence", user_id=ada.id, online=True, timeout=5)

        # Typing, one way and the other.
        bea_peer.emit("typing", {"conversation_id": conversation_id, "is_typing": True})
        assert ada_peer.expect("typing", user_id=bea.id, timeout=5)["is_typing"] is True
        ada_peer.emit("typing", {"conversation_id": conversation_id, "is_typing": False})
        assert bea_peer.expect("typing", user_id=ada.id, timeout=5)["is_typing"] is False

        # Messages both ways decrypt on the other side; delivered and read ticks come back.
        sent = ada_peer.send_direct(conversation_id, bea.id, "across dynos")
        stored = ada_peer.expect("message_ack", client_msg_id=sent)
        assert stored["status"] == "stored"
        message = bea_peer.expect("message", client_msg_id=sent, timeout=5)
        assert message["id"] == stored["message_id"] and bea_peer.open_direct(message) == "across dynos"
        for status in ("delivered", "read"):
            bea_peer.emit("message_ack", {"conversation_id": conversation_id, "message_id": message["id"],
                                          "status": status})
            assert ada_peer.expect("message_ack", status=status, user_id=bea.id, timeout=5)["message_id"] == message["id"]
        answer = bea_peer.send_direct(conversation_id, ada.id, "and back")
        reply = ada_peer.expect("message", client_msg_id=answer, timeout=5)
        assert ada_peer.open_direct(reply) == "and back"
        ada_peer.emit("message_ack", {"conversation_id": conversation_id, "message_id": reply["id"], "status": "read"})
        assert bea_peer.expect("message_ack", status="read", user_id=ada.id, timeout=5)["message_id"] == reply["id"]

        # The same client_msg_id sent again (a retry on the other process) is stored once.
        bea_peer.send_direct(conversation_id, ada.id, "and back", client_msg_id=answer)
        assert bea_peer.expect("message_ack", client_msg_id=answer)["message_id"] == reply["id"]

        # History, from either process, opens on both sides; the read state is shared.
        for peer in (ada_peer, bea_peer):
            for server in (one, two):
                history = peer.http.get(f"{server.url}/api/chat/conversations/{conversation_id}/messages").json()
                assert [peer.open_direct(m) for m in history["messages"]] == ["across dynos", "and back"]
        listing = ada_peer.http.get(f"{two.url}/api/chat/conversations").json()["conversations"]
        assert [(c["id"], c["unread"]) for c in listing] == [(conversation_id, 0)]

        # Bea leaves dyno two: Ada, on dyno one, sees her go offline.
        bea_peer.ws.close()
        assert ada_peer.expect("presence", user_id=bea.id, online=False, timeout=5)["online"] is False
    finally:
        ada_peer.close()
        bea_peer.close()
