"""Stores failing under a running app: PostgreSQL cut or slow, Redis cut, MongoDB unreachable.
The real servers are shared with other test runs and are never stopped: the faults are made
by a TCP proxy of ours (tests/fakes/tcp_proxy.py) between the app and the server, or by a
client pointed at a closed port."""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from config import TestingConfig
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.factories.payments import fund, make_item
from tests.fakes.tcp_proxy import TcpProxy, closed_port
from tests.sse_client import SSEClient

REDIS_URL = os.environ.get("TEST_REDIS_URL")


def assert_unavailable(response, *, api: bool) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "OperationalError" not in text and "psycopg" not in text
    if api:
        assert response.json == {"error": {"code": "unavailable",
                                           "message": "DreamDot is briefly unavailable. Try again in a moment."}}
    else:
        assert "briefly unavailable" in text and "<html" in text


def own_prefix() -> str:
    return f"dreamdot-test-faults-{os.getpid()}-{time.time_ns()}:"


def ledger_ok(application) -> bool:
    result = application.test_cli_runner().invoke(args=["ledger", "verify"])
    return result.exit_code == 0 and "ledger ok" in result.output


def buyer_of_one_item(app, faulty_app):
    """A buyer with 5,000 cents of credit, a 1,000-cent item to buy, and a client of the app
    behind the proxy that has just been answered (its pool holds a live connection)."""
    buyer, seller = UserFactory(), UserFactory()
    fund(buyer, credit=5000)
    item = make_item(seller, price_cents=1000)
    headers = bearer(app, buyer)
    client = faulty_app.test_client()
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    return client, item, headers


def assert_whole_or_absent_then_bought_once(faulty_app, client, item, headers, response) -> None:
    """After a purchase the fault interrupted: it is there entirely (201) or not at all (503),
    the ledger verifies, and the client's retry leaves it owning the item, charged once."""
    from app.models.ledger import Purchase

    with faulty_app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Purchase))
        db.session.remove()
    assert count in (0, 1) and (response.status_code == 503 or count == 1)
    assert ledger_ok(faulty_app)
    retry = client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers)
    assert retry.status_code in (201, 409)
    assert client.get("/api/auth/me", headers=headers).json["balance"]["total_cents"] == 4000
    assert ledger_ok(faulty_app)


def assert_recovered_without_the_lost_purchase(faulty_app, client, item, headers) -> None:
    """Once the path to PostgreSQL is back: the same app serves again, the purchase tried
    during the fault is absent (whole, not half-written), the ledger verifies, and buying
    now works and charges once (a 5,000-cent credit less the 1,000-cent item)."""
    from app.models.ledger import Purchase

    assert client.get("/api/auth/me", headers=headers).status_code == 200
    assert client.get("/healthz").status_code == 200
    with faulty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Purchase)) == 0
        db.session.remove()
    assert ledger_ok(faulty_app)
    response = client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers)
    assert response.status_code == 201
    assert response.json["balance"]["total_cents"] == 4000
    assert ledger_ok(faulty_app)


def test_postgres_cut_answers_503_keeps_writes_whole_and_recovers(app, proxied_pg_app, pg_proxy):
    with proxied_pg_app.app_context():
        pool = db.engines["items"].pool
        assert pool.size() == proxied_pg_app.config["DB_POOL_SIZE"]
    buyer, seller = UserFactory(), UserFactory()
    fund(buyer, credit=5000)
    item = make_item(seller, price_cents=1000)
    headers = bearer(app, buyer)
    client = proxied_pg_app.test_client()
    assert client.get("/api/auth/me", headers=headers).status_code == 200

    pg_proxy.cut()
    assert_unavailable(client.get("/api/auth/me", headers=headers), api=True)
    assert_unavailable(client.get(f"/items/{item.id}"), api=False)
    assert_unavailable(client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers), api=True)
    started = time.monotonic()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["checks"]["db:items"] == "unavailable"
    assert time.monotonic() - started < 10

    pg_proxy.restore()
    # No restart: the pool throws away its dead connections (pre-ping) and reconnects.
    assert_recovered_without_the_lost_purchase(proxied_pg_app, client, item, headers)


@pytest.mark.parametrize("cut_after", [0.15, 0.45, 0.8])
def test_purchases_cut_mid_transaction_are_whole_or_absent(app, proxied_pg_app, pg_proxy, cut_after):
    """The connection dies at some point inside a purchase (each round trip slowed so the
    cut lands in the middle): the purchase happened entirely or not at all."""
    client, item, headers = buyer_of_one_item(app, proxied_pg_app)
    pg_proxy.delay(0.02)
    timer = threading.Timer(cut_after, pg_proxy.cut)
    timer.start()
    response = client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers)
    timer.join()
    assert response.status_code in (201, 503), response.status_code
    pg_proxy.restore()
    assert_whole_or_absent_then_bought_once(proxied_pg_app, client, item, headers, response)


@pytest.fixture
def blackholed_pg_app(make_app, pg_proxy, tmp_path):
    """As proxied_pg_app, with the connect timeout a blackhole needs."""
    config = TestingConfig(tmp_path / "blackholed")
    config.SQLALCHEMY_BINDS = {bind: pg_proxy.postgres_url(url) for bind, url in config.SQLALCHEMY_BINDS.items()}
    config.DB_STATEMENT_TIMEOUT_MS = 700
    config.DB_CONNECT_TIMEOUT = 2  # a real connect on a loaded machine must still fit
    config.DB_SOCKET_TIMEOUT = 1.5
    config.DB_POOL_TIMEOUT = 2
    return make_app(config)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_postgres_blackholed_answers_503_in_bounded_time_and_recovers(app, blackholed_pg_app, pg_proxy):
    """PostgreSQL unreachable with packets dropped silently (the proxy accepts, then
    forwards nothing and answers nothing, no reset, no refusal) before the app made its
    connections: every connect waits on a handshake that never ends, and libpq's
    connect_timeout (DB_CONNECT_TIMEOUT) bounds it: a 503 in bounded time. (A pooled
    connection to a peer that acknowledges everything but never answers is bounded by no
    documented setting: docs/decisions.md.)"""
    buyer, seller = UserFactory(), UserFactory()
    fund(buyer, credit=5000)
    item = make_item(seller, price_cents=1000)
    headers = bearer(app, buyer)
    client = blackholed_pg_app.test_client()

    pg_proxy.blackhole()
    with blackholed_pg_app.app_context():  # a process with no connection made before the fault
        for engine in db.engines.values():
            engine.dispose()
    # Bound: a new connection per bind the request reads (DB_CONNECT_TIMEOUT each).
    response, took = timed(lambda: client.get("/api/auth/me", headers=headers))
    assert_unavailable(response, api=True)
    assert took < 8, took
    response, took = timed(lambda: client.get(f"/items/{item.id}"))
    assert_unavailable(response, api=False)
    assert took < 8, took
    response, took = timed(lambda: client.post(f"/api/items/{item.id}/purchase", json={}, headers=headers))
    assert_unavailable(response, api=True)
    assert took < 8, took
    health, took = timed(lambda: client.get("/healthz"))
    assert health.status_code == 503 and health.json["checks"]["db:items"] == "unavailable"
    assert took < 20, took  # /healthz tries every bind

    pg_proxy.restore()
    # No restart: new connections are made.
    assert_recovered_without_the_lost_purchase(blackholed_pg_app, client, item, headers)


def test_the_engines_carry_the_documented_timeouts(blackholed_pg_app):
    """What bounds a wait on PostgreSQL: libpq's connect_timeout, tcp_user_timeout and
    keepalives, and the server's statement and idle-in-transaction timeouts."""
    with blackholed_pg_app.app_context():
        for engine in db.engines.values():
            with engine.connect() as connection:
                info = connection.connection.dbapi_connection.info
                params = info.get_parameters()
                assert params["connect_timeout"] == "2" and params["tcp_user_timeout"] == "1500"
                assert params["keepalives"] == "1"
                assert connection.scalar(sa.text("SHOW statement_timeout")) == "700ms"
                assert connection.scalar(sa.text("SHOW idle_in_transaction_session_timeout")) == "1min"


def test_a_slow_database_is_slower_and_a_stuck_one_answers_503(app, proxied_pg_app, pg_proxy):
    user = UserFactory()
    user_id = user.id  # read now: bearer() commits, and a later read would hold a lock on users
    headers = bearer(app, user)
    client = proxied_pg_app.test_client()
    pg_proxy.delay(0.02)  # every round trip 40 ms slower: still answered
    slow = client.get("/api/auth/me", headers=headers)
    assert slow.status_code == 200 and slow.json["user"]["id"] == user_id
    pg_proxy.restore()

    # A statement stuck behind a lock (or running away) is stopped by statement_timeout.
    locker = db.engines["users"].connect()
    transaction = locker.begin()
    try:
        locker.execute(sa.text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        assert_unavailable(client.get("/api/auth/me", headers=headers), api=True)
        assert time.monotonic() - started < 5
    finally:
        transaction.rollback()
        locker.close()
    me = client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200 and me.json["user"]["id"] == user_id  # answered again once the lock is gone


def test_mongodb_unreachable_answers_503_and_writes_nothing(app, make_app, tmp_path):
    from app.models.items import Item

    creator = UserFactory()
    headers = bearer(app, creator)
    config = TestingConfig(tmp_path / "nomongo")
    config.SQLALCHEMY_BINDS = dict(app.config["SQLALCHEMY_BINDS"])  # the suite's databases
    broken = make_app(config, MONGODB_URI=f"mongodb://127.0.0.1:{closed_port()}/dreamdot",
                      MONGODB_TIMEOUT_MS=300)
    client = broken.test_client()
    body = {"kind": "writing", "title": "Lost", "description": "d", "pricing": "free", "price_cents": 0,
            "body_html": "<p>words</p>"}
    started = time.monotonic()
    assert_unavailable(client.post("/api/items/create", json=body, headers=headers), api=True)
    assert time.monotonic() - started < 5
    with broken.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["checks"]["mongodb"] == "unavailable"
    # What does not need MongoDB still works.
    me = client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200 and me.json["user"]["id"] == creator.id


def serve(application):
    server = make_server("127.0.0.1", 0, application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_redis_cut_keeps_pages_working_and_streams_catch_up(app, make_app, tmp_path):
    from app.services.broker import RedisBroker

    proxy = TcpProxy(urlsplit(REDIS_URL).port or 6379)
    url = proxy.url(REDIS_URL)
    config = TestingConfig(tmp_path / "proxied-redis")
    config.REDIS_URL = config.RATELIMIT_STORAGE_URI = url
    config.BROKER_PREFIX = own_prefix()
    config.SQLALCHEMY_BINDS = dict(app.config["SQLALCHEMY_BINDS"])
    application = make_app(config, SSE_HEARTBEAT_SECONDS=0.3)
    assert isinstance(application.extensions["dreamdot.broker"], RedisBroker)
    server = serve(application)
    bea, ada = UserFactory(display_name="Bea"), UserFactory(display_name="Ada")
    from tests.factories import PostFactory

    posts = [PostFactory(author_id=bea.id) for _ in range(2)]
    client = application.test_client()
    stream = SSEClient(server.server_port, headers=bearer(app, bea))
    try:
        assert stream.status == 200 and stream.wait_for_comment("stream open", timeout=5, new=False)
        assert client.post("/api/social/likes", json={"post_id": posts[0].id},
                           headers=bearer(app, ada)).status_code == 200
        first = stream.wait_for("notification", timeout=3)
        assert first is not None

        proxy.cut()
        # Redis holds nothing that must not be lost: pages and writes keep working (rate
        # limits count in memory meanwhile); live events still reach this process's own
        # streams (other processes' streams catch up on reconnect, below).
        assert client.get("/api/auth/me", headers=bearer(app, ada)).status_code == 200
        assert client.post("/api/social/likes", json={"post_id": posts[1].id},
                           headers=bearer(app, ada)).status_code == 200
        assert stream.wait_for("notification", timeout=3) is not None
        stream.close()

        proxy.restore()
        # The browser reconnects with the id of the last event it saw and gets what it missed.
        again = SSEClient(server.server_port, headers={**bearer(app, bea), "Last-Event-ID": first["id"]})
        try:
            assert again.status == 200
            missed = again.wait_for("notification", timeout=3)
            assert missed is not None and int(missed["id"]) > int(first["id"])
            # And live delivery works again once the broker's listener is back on Redis.
            assert client.delete("/api/social/likes", json={"post_id": posts[0].id},
                                 headers=bearer(app, ada)).status_code == 200
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                assert client.post("/api/social/likes", json={"post_id": posts[0].id},
                                   headers=bearer(app, ada)).status_code == 200
                if again.wait_for("notification", timeout=1) or again.wait_for("badge", timeout=0.2):
                    break
                client.delete("/api/social/likes", json={"post_id": posts[0].id}, headers=bearer(app, ada))
            else:
                raise AssertionError("live events did not come back after Redis did")
        finally:
            again.close()
    finally:
        stream.close()
        server.shutdown()
        proxy.close()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_an_unreachable_redis_does_not_hold_requests(app, make_app, tmp_path):
    """A blackholed Redis (packets vanish): after the first request finds out (bounded by
    REDIS_TIMEOUT_SECONDS per call), requests stop waiting on it."""
    from tests.factories import PostFactory

    proxy = TcpProxy(urlsplit(REDIS_URL).port or 6379)
    config = TestingConfig(tmp_path / "blackholed-redis")
    config.REDIS_URL = config.RATELIMIT_STORAGE_URI = proxy.url(REDIS_URL)
    config.BROKER_PREFIX = own_prefix()  # presence left by a cut expires by TTL: keep it apart
    config.SQLALCHEMY_BINDS = dict(app.config["SQLALCHEMY_BINDS"])
    config.REDIS_TIMEOUT_SECONDS = 0.5
    config.RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    application = make_app(config)
    client = application.test_client()
    author, reader = UserFactory(), UserFactory()
    posts = [PostFactory(author_id=author.id) for _ in range(4)]
    headers = bearer(app, reader)
    try:
        assert client.get("/api/auth/me", headers=headers).status_code == 200
        proxy.blackhole()
        timings = []
        for post in posts:
            started = time.monotonic()
            assert client.post("/api/social/likes", json={"post_id": post.id}, headers=headers).status_code == 200
            timings.append(time.monotonic() - started)
        assert sum(timings[:2]) < 6, timings  # a few calls of at most REDIS_TIMEOUT_SECONDS each
        assert max(timings[2:]) < 0.4, timings  # then no waiting on Redis at all
    finally:
        proxy.close()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_chat_survives_a_redis_cut_and_catches_up_by_history(app, make_app, tmp_path):
    from tests.chat.peers import Peer
    from tests.support.live import serving

    proxy = TcpProxy(urlsplit(REDIS_URL).port or 6379)
    config = TestingConfig(tmp_path / "chat-redis")
    config.REDIS_URL = config.RATELIMIT_STORAGE_URI = proxy.url(REDIS_URL)
    config.BROKER_PREFIX = own_prefix()  # presence left by a cut expires by TTL: keep it apart
    config.SQLALCHEMY_BINDS = dict(app.config["SQLALCHEMY_BINDS"])
    application = make_app(config)
    ada_user, bea_user = UserFactory(), UserFactory()
    with serving(application) as server:
        ada = Peer(server, ada_user, bearer(app, ada_user)["Authorization"][7:])
        bea = Peer(server, bea_user, bearer(app, bea_user)["Authorization"][7:])
        try:
            conversation_id = ada.direct_with(bea.id)
            ada.connect()
            bea.connect()
            first = bea.expect("message", client_msg_id=ada.send_direct(conversation_id, bea.id, "before"))

            proxy.cut()
            # The message is stored (MongoDB); only its live relay (Redis) is lost.
            # (Both sockets are on this one process, which delivers to its own sockets
            # while Redis is away; on another process Bea would catch up as below.)
            sent = ada.send_direct(conversation_id, bea.id, "during the cut")
            assert ada.expect("message_ack", client_msg_id=sent)["status"] == "stored"
            # A client connecting meanwhile is served, without presence.
            bea.ws.close()
            bea.connect()

            proxy.restore()
            # What the browser does on (re)connect: history after the last message it has.
            history = bea.http.get(f"/api/chat/conversations/{conversation_id}/messages",
                                   params={"after": first["id"]}).json()["messages"]
            assert [m["client_msg_id"] for m in history] == [sent]
            assert bea.open_direct(history[0]) == "during the cut"
        finally:
            ada.close()
            bea.close()
            proxy.close()


def test_streams_are_told_a_jittered_reconnection_delay(app):
    """After an outage every stream drops at once: each is told its own `retry:` delay."""
    import re
    import socket

    user = UserFactory()
    headers = bearer(app, user)
    server = serve(app)
    delays = []
    try:
        for _ in range(6):
            with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as sock:
                sock.sendall((f"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              f"Authorization: {headers['Authorization']}\r\n\r\n").encode())
                received = b""
                while not re.search(rb"retry: \d+\n", received):
                    received += sock.recv(4096)
                delays.append(int(re.search(rb"retry: (\d+)", received).group(1)))
    finally:
        server.shutdown()
    assert all(2000 <= delay < 5000 for delay in delays)
    assert len(set(delays)) > 1


def test_mongodb_lost_and_back_answers_503_then_serves_chat_again_without_a_restart(
        app, make_app, tmp_path):
    """The suite's MongoDB-protocol server behind the proxy: cut, then back, then
    blackholed, then back. The same process serves throughout."""
    from tests.chat.peers import Peer
    from tests.support.live import serving

    mongo = urlsplit(app.config["MONGODB_URI"])
    proxy = TcpProxy(mongo.port)
    config = TestingConfig(tmp_path / "proxied-mongo")
    # directConnection: the server names itself (a one-member replica set at its own port) and
    # the driver would otherwise go there, around the proxy.
    proxied = proxy.url(app.config["MONGODB_URI"]) + "&directConnection=true"
    application = make_app(config, MONGODB_URI=proxied,
                           MONGODB_TIMEOUT_MS=500, MONGODB_SOCKET_TIMEOUT_MS=1000)
    ada_user, bea_user = UserFactory(), UserFactory()
    headers = bearer(app, ada_user)
    browser = application.test_client()
    from tests.conftest import sign_in

    sign_in(browser, ada_user)
    with serving(application) as server:
        ada = Peer(server, ada_user, headers["Authorization"][7:])
        bea = Peer(server, bea_user, bearer(app, bea_user)["Authorization"][7:])
        try:
            conversation_id = ada.direct_with(bea.id)
            ada.connect()
            bea.connect()
            first = bea.expect("message", client_msg_id=ada.send_direct(conversation_id, bea.id, "before"))
            assert browser.get("/chat").status_code == 200

            for fault in (proxy.cut, proxy.blackhole):
                fault()
                # What needs MongoDB answers 503 soon (page and API): a refused connection
                # within MONGODB_TIMEOUT_MS, a silent one within MONGODB_SOCKET_TIMEOUT_MS
                # (and a retry), rather than until the driver's next heartbeat (10 s).
                started = time.monotonic()
                listing = ada.http.get("/api/chat/conversations")
                assert listing.status_code == 503 and listing.json()["error"]["code"] == "unavailable"
                assert int(listing.headers["Retry-After"]) > 0
                assert time.monotonic() - started < 6
                page_started = time.monotonic()
                page = browser.get("/chat")
                assert page.status_code == 503 and "briefly unavailable" in page.get_data(as_text=True)
                assert time.monotonic() - page_started < 6
                health = browser.get("/healthz")
                assert health.status_code == 503 and health.json["checks"]["mongodb"] == "unavailable"
                # What does not need MongoDB still works.
                assert browser.get("/api/auth/me", headers=headers).status_code == 200
                assert browser.get("/home").status_code == 200
                # A connected socket is told its message was not stored (and may resend it);
                # a new connection is told the same and closed, not left hanging.
                lost = ada.send_direct(conversation_id, bea.id, "during the outage")
                error = ada.expect("error", client_msg_id=lost, timeout=5)
                assert error["code"] == "unavailable" and error["event"] == "send_message"
                bea.ws.close()
                bea.connect()
                assert bea.expect("error", timeout=5)["code"] == "unavailable"

                proxy.restore()
                # Back: the same process serves chat and history again, no restart.
                deadline = time.monotonic() + 10
                while ada.http.get("/api/chat/conversations").status_code != 200:
                    assert time.monotonic() < deadline, "MongoDB came back but the app did not"
                    time.sleep(0.2)
                bea.ws.close()
                bea.connect()
                again = ada.send_direct(conversation_id, bea.id, "after", client_msg_id=lost)  # the resend
                assert ada.expect("message_ack", client_msg_id=again)["status"] == "stored"
                assert bea.open_direct(bea.expect("message", client_msg_id=again)) == "after"
                history = bea.http.get(f"/api/chat/conversations/{conversation_id}/messages",
                                       params={"after": first["id"]}).json()["messages"]
                assert [m["client_msg_id"] for m in history] == [lost]
                first = history[-1]
                assert browser.get("/chat").status_code == 200
                assert browser.get("/healthz").status_code == 200
        finally:
            ada.close()
            bea.close()
            proxy.close()
