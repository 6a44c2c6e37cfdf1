"""A running app for tests that need real sockets: werkzeug's threaded server (which
flask-sock/simple-websocket support) in a thread, on a free loopback port."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@contextmanager
def serving(app):
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()
