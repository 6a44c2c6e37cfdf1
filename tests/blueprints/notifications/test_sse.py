"""GET /events against a real server thread, read by a raw HTTP client with timeouts."""

from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from app.models.social import Follow
from app.services import accounts, notifications
from app.services.broker import publish, user_channel
from tests.conftest import bearer, csrf_token, sign_in
from tests.factories import UserFactory
from tests.sse_client import SSEClient


@pytest.fixture
def server(app, monkeypatch):
    # Short heartbeats so a test sees one and a stream whose client left ends quickly.
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 0.25)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    streams: list[SSEClient] = []

    def open_stream(headers=None, path="/events"):
        stream = SSEClient(httpd.server_port, path, headers)
        streams.append(stream)
        return stream

    open_stream.port = httpd.server_port
    yield open_stream
    for stream in streams:
        stream.close()
    httpd.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def bea():
    return UserFactory(display_name="Bea")


@pytest.fixture
def ada():
    return UserFactory(display_name="Ada")


def opened(stream) -> SSEClient:
    assert stream.status == 200
    assert stream.wait_for_comment("stream open", timeout=2, new=False)
    return stream


def like_notification(user, actor):
    note = notifications.notify(user.id, "like", actor_id=actor.id, target_type="post", target_id=1,
                                url="/p/1")
    db.session.commit()
    return note


def checked_out() -> int:
    return sum(engine.pool.checkedout() for engine in set(db.engines.values()))  # binds may share one


def test_anonymous_gets_401(server):
    stream = server()
    assert stream.status == 401
    assert json.loads(stream.response.read())["error"]["code"] == "unauthorized"


def test_stream_headers_and_first_comment(app, server, bea):
    stream = server(bearer(app, bea))
    assert stream.status == 200
    assert stream.response.getheader("Content-Type").startswith("text/event-stream")
    assert stream.response.getheader("Cache-Control").startswith("no-cache")
    assert stream.response.getheader("X-Accel-Buffering") == "no"
    assert opened(stream)


def test_a_notification_arrives_within_a_second(app, server, bea, ada):
    stream = opened(server(bearer(app, bea)))
    started = time.monotonic()
    note = like_notification(bea, ada)
    event = stream.wait_for("notification", timeout=1)
    assert event is not None and time.monotonic() - started < 1
    assert event["id"] == str(note.id)
    assert f'id="notification-{note.id}"' in event["data"] and "liked your post" in event["data"]
    assert "Ada" in event["data"]
    badge = stream.wait_for("badge", timeout=1)
    assert badge["id"] == str(note.id)
    assert '<span class="badge" id="notifications-badge">1</span>' in badge["data"]


def test_a_like_through_the_api_arrives_within_a_second(app, server, bea, ada):
    from tests.factories import PostFactory

    post = PostFactory(author_id=bea.id)
    stream = opened(server(bearer(app, bea)))
    started = time.monotonic()
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("POST", "/api/social/likes", body=json.dumps({"post_id": post.id}),
                       headers={**bearer(app, ada), "Content-Type": "application/json"})
    assert connection.getresponse().status == 200
    connection.close()
    event = stream.wait_for("notification", timeout=1)
    assert event is not None and time.monotonic() - started < 1
    assert "Ada" in event["data"] and "liked your post" in event["data"]


def test_only_my_events_reach_my_stream(app, server, bea, ada):
    stream = opened(server(bearer(app, bea)))
    like_notification(ada, bea)
    assert stream.wait_for("notification", timeout=0.5) is None


def test_heartbeat_comments_keep_the_stream_alive(app, server, bea):
    stream = opened(server(bearer(app, bea)))
    assert stream.wait_for_comment("heartbeat", timeout=1)


def test_the_stream_holds_no_database_connection(app, server, bea, ada):
    auth, bea_id, ada_id = bearer(app, bea), bea.id, ada.id
    db.session.remove()
    db.session.connection(bind_arguments={"bind": db.engines["social"]})
    assert checked_out() == 1  # the measure sees a held connection
    db.session.remove()
    stream = opened(server(auth))
    assert stream.wait_for_comment("heartbeat", timeout=1)
    assert checked_out() == 0  # idle stream
    notifications.notify(bea_id, "like", actor_id=ada_id)
    db.session.commit()
    db.session.remove()
    assert stream.wait_for("badge", timeout=1)
    assert stream.wait_for_comment("heartbeat", timeout=1)
    assert checked_out() == 0  # after rendering an event


@pytest.mark.parametrize("how", ["header", "query"])
def test_reconnect_replays_what_was_missed(app, server, bea, ada, how):
    seen, *missed = [like_notification(bea, ada) for _ in range(3)]
    auth = bearer(app, bea)
    if how == "header":
        stream = server({**auth, "Last-Event-ID": str(seen.id)})
    else:
        stream = server(auth, path=f"/events?last_event_id={seen.id}")
    assert stream.status == 200
    replayed = [stream.wait_for("notification", timeout=1) for _ in missed]
    assert [e["id"] for e in replayed] == [str(n.id) for n in missed]
    badge = stream.wait_for("badge", timeout=1)
    assert badge["id"] == str(missed[-1].id) and ">3</span>" in badge["data"]
    # The same notification announced live again is not sent twice.
    publish(user_channel(bea.id), {"type": "notification", "id": missed[-1].id})
    assert stream.wait_for("notification", timeout=0.5) is None
    newer = like_notification(bea, ada)
    assert stream.wait_for("notification", timeout=1)["id"] == str(newer.id)


def test_a_bad_last_event_id_replays_nothing(app, server, bea, ada):
    like_notification(bea, ada)
    stream = opened(server({**bearer(app, bea), "Last-Event-ID": "abc"}))
    assert stream.wait_for("notification", timeout=0.4) is None


def test_new_posts_from_people_i_follow(app, server, bea, ada):
    db.session.add(Follow(follower_id=bea.id, followee_id=ada.id))
    db.session.commit()
    stream = opened(server(bearer(app, bea)))

    class Post:
        id, author_id = 5, ada.id

    for expected in ("1 new post — show", "2 new posts — show"):
        notifications.announce_new_post(Post)
        db.session.commit()
        event = stream.wait_for("new-posts", timeout=1)
        assert expected in event["data"]
        assert '<div id="new-posts" hx-swap-oob="innerHTML">' in event["data"]
        assert event["id"] is None  # Last-Event-ID stays the last notification's


def test_marking_read_elsewhere_updates_the_badge(app, server, bea, ada):
    like_notification(bea, ada)
    stream = opened(server(bearer(app, bea)))
    notifications.mark_read(bea.id)
    db.session.commit()
    badge = stream.wait_for("badge", timeout=1)
    assert badge is not None and 'class="badge"' not in badge["data"]


def test_the_stream_ends_after_sign_out(app, server, bea, ada):
    client = app.test_client()
    sign_in(client, bea)
    cookie = client.get_cookie("dreamdot_session").value
    stream = opened(server({"Cookie": f"dreamdot_session={cookie}"}))
    accounts.end_all_sessions(bea)
    db.session.commit()
    like_notification(bea, ada)
    assert stream.wait_for("notification", timeout=1) is None
    assert stream.wait_closed(timeout=1)  # ended by the server


def test_the_stream_ends_after_its_maximum_age(app, server, bea, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 0.3)
    stream = opened(server(bearer(app, bea)))
    assert stream.wait_closed(timeout=2)


def test_a_post_created_through_the_api_reaches_followers_streams(app, server, bea, ada):
    import http.client

    stranger = UserFactory()
    db.session.add(Follow(follower_id=bea.id, followee_id=ada.id))
    db.session.commit()
    follower, other = opened(server(bearer(app, bea))), opened(server(bearer(app, stranger)))
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("POST", "/api/posts/create", body=json.dumps({"body": "Hello"}),
                       headers={**bearer(app, ada), "Content-Type": "application/json"})
    assert connection.getresponse().status == 201
    connection.close()
    assert "1 new post — show" in follower.wait_for("new-posts", timeout=1)["data"]
    assert other.wait_for("new-posts", timeout=0.3) is None


def test_an_event_is_made_once_per_recipient_not_once_per_stream(app, server, bea, ada):
    from app.blueprints.notifications.sse import render_once

    stranger = UserFactory()
    mine = [opened(server(bearer(app, bea))) for _ in range(4)]
    others = opened(server(bearer(app, stranger)))
    before = render_once.made
    note = like_notification(bea, ada)
    received = [stream.wait_for("notification", timeout=2) for stream in mine]
    assert [event["id"] for event in received] == [str(note.id)] * 4
    assert len({event["data"] for event in received}) == 1
    assert all(stream.wait_for("badge", timeout=1) for stream in mine)
    assert render_once.made - before == 1  # one render (notification and badge) for four streams
    assert others.wait_for("notification", timeout=0.3) is None

    before = render_once.made
    notifications.mark_read(bea.id)
    db.session.commit()
    assert all('class="badge"' not in stream.wait_for("badge", timeout=1)["data"] for stream in mine)
    assert render_once.made - before == 1


def test_signing_out_ends_that_sessions_streams_at_once_and_no_others(app, server, bea, ada):
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, bea)
    sign_in(laptop, bea)
    on_phone = opened(server({"Cookie": f"dreamdot_session={phone.get_cookie('dreamdot_session').value}"}))
    on_laptop = opened(server({"Cookie": f"dreamdot_session={laptop.get_cookie('dreamdot_session').value}"}))
    token = opened(server(bearer(app, bea)))
    response = phone.post("/signout", data={"csrf_token": csrf_token(phone, "/")})
    assert response.status_code == 303
    # Told first (the page's sse-close="signed_out" closes its EventSource, no error, no
    # reconnect), then ended, without waiting for the periodic re-check.
    assert on_phone.wait_for("signed_out", timeout=1) is not None
    assert on_phone.wait_closed(timeout=1)
    like_notification(bea, ada)
    assert on_laptop.wait_for("notification", timeout=1) is not None
    assert token.wait_for("notification", timeout=1) is not None


def test_a_password_change_ends_the_other_sessions_streams(app, server, bea):
    from app.models import AuthSession

    here, there = app.test_client(), app.test_client()
    sign_in(here, bea)
    sign_in(there, bea)
    kept = db.session.scalars(sa.select(AuthSession.id).where(AuthSession.user_id == bea.id)
                              .order_by(AuthSession.created_at)).first()
    streams = {client: opened(server({"Cookie": f"dreamdot_session={client.get_cookie('dreamdot_session').value}"}))
               for client in (here, there)}
    accounts.end_all_sessions(db.session.get(type(bea), bea.id), keep=kept)
    db.session.commit()
    closed = {client: stream.wait_closed(timeout=1) for client, stream in streams.items()}
    assert sorted(closed.values()) == [False, True]  # the kept session's stream lives on


def test_a_session_ended_without_a_broadcast_stops_within_the_check_period(app, server, bea, ada, monkeypatch):
    """Expiry, or a row changed by hand: no event announces it; the periodic re-check
    (SSE_AUTH_CHECK_SECONDS) ends the stream."""
    from app.models import AuthSession

    monkeypatch.setitem(app.config, "SSE_AUTH_CHECK_SECONDS", 0.5)
    stream = opened(server(bearer(app, bea)))
    like_notification(bea, ada)
    assert stream.wait_for("notification", timeout=1) is not None  # the check passes meanwhile
    started = time.monotonic()
    db.session.execute(sa.update(AuthSession).where(AuthSession.user_id == bea.id)
                       .values(expires_at=sa.func.current_timestamp()))
    db.session.commit()
    assert stream.wait_for("signed_out", timeout=2) is not None
    assert stream.wait_closed(timeout=2)
    assert time.monotonic() - started < 1.5


def test_the_same_event_dict_published_twice_is_rendered_twice(app, server, bea, ada):
    """Sharing is per publish: a caller reusing its dict does not get a stale badge."""
    from app.blueprints.notifications.sse import render_once

    stream = opened(server(bearer(app, bea)))
    event = {"type": "unread"}
    publish(user_channel(bea.id), event)
    assert 'class="badge"' not in stream.wait_for("badge", timeout=1)["data"]
    like_notification(bea, ada)
    assert stream.wait_for("notification", timeout=1)
    assert stream.wait_for("badge", timeout=1)  # the notification's own
    before = render_once.made
    publish(user_channel(bea.id), event)
    assert ">1</span>" in stream.wait_for("badge", timeout=1)["data"]
    assert render_once.made - before == 1
