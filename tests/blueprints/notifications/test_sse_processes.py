"""Two separate app processes sharing Redis and the database: user B's stream, served by
a gunicorn gevent worker, receives the notification of user A's like made on a werkzeug
process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import bearer
from tests.factories import PostFactory, UserFactory
from tests.sse_client import SSEClient
from tests.support.processes import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set"),
]


@pytest.fixture
def processes(app):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DREAMDOT_TEST_INSTANCE": app.instance_path,
           "DREAMDOT_TEST_BROKER_PREFIX": f"dreamdot-test-2proc-{os.getpid()}-{time.time_ns()}:",
           "SECRET_KEY": app.config["SECRET_KEY"]}
    started = []

    def start(args):
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    one = start([sys.executable, str(ROOT / "tests" / "sse_server.py")])
    line = one.stdout.readline()
    assert line.startswith("PORT "), one.stderr.read()
    port_one = int(line.split()[1])
    port_two = free_port()
    two = start([sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--bind",
                 f"127.0.0.1:{port_two}", "--log-level", "warning", "tests.sse_server:app"])
    wait_until_serving(port_one, one)
    wait_until_serving(port_two, two)
    yield port_one, port_two
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            stream.close()


def test_a_like_on_one_process_reaches_a_stream_on_another(app, processes):
    port_one, port_two = processes
    bea, ada = UserFactory(display_name="Bea"), UserFactory(display_name="Ada")
    post = PostFactory(author_id=bea.id)
    stream = SSEClient(port_two, headers=bearer(app, bea))
    try:
        assert stream.status == 200
        assert stream.wait_for_comment("stream open", timeout=5, new=False)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port_one}/api/social/likes", method="POST",
            data=json.dumps({"post_id": post.id}).encode(),
            headers={**bearer(app, ada), "Content-Type": "application/json"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response) == {"liked": True, "like_count": 1}
        event = stream.wait_for("notification", timeout=2)
        assert event is not None, "the notification did not cross processes"
        assert time.monotonic() - started < 1
        assert "Ada" in event["data"] and "liked your post" in event["data"]
        badge = stream.wait_for("badge", timeout=1)
        assert badge["id"] == event["id"] and ">1</span>" in badge["data"]
        assert stream.wait_for_comment("heartbeat", timeout=2)  # under the gevent worker too
    finally:
        stream.close()


def test_signing_out_on_one_process_ends_the_stream_on_another(app, processes):
    """The `signed_out` event crosses processes through Redis: the stream on the gevent
    worker ends at once, without waiting for its periodic sign-in re-check."""
    port_one, port_two = processes
    bea = UserFactory(display_name="Bea")
    headers = bearer(app, bea)
    stream = SSEClient(port_two, headers=headers)
    try:
        assert stream.status == 200
        assert stream.wait_for_comment("stream open", timeout=5, new=False)
        request = urllib.request.Request(f"http://127.0.0.1:{port_one}/api/auth/signout", method="POST",
                                         data=b"", headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204
        assert stream.wait_closed(timeout=3)
    finally:
        stream.close()
