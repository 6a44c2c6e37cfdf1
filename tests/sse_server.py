"""A DreamDot process for the two-process tests, on the test process's stores (the
DREAMDOT_TEST_* addresses of tests/stores.py, and TEST_REDIS_URL) with a broker prefix shared
by both processes.

    python tests/sse_server.py            werkzeug, threaded; prints "PORT <n>"
    gunicorn -k gevent tests.sse_server:app   the production worker class
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402
from config import TestingConfig  # noqa: E402

app = create_app(
    TestingConfig(Path(os.environ["DREAMDOT_TEST_INSTANCE"])),
    BROKER_PREFIX=os.environ["DREAMDOT_TEST_BROKER_PREFIX"],
    SSE_HEARTBEAT_SECONDS=0.5,
)

if __name__ == "__main__":
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()
