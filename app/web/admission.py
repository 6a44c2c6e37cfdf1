"""Admission: how many requests of one gevent worker run the app at the same time.

A gevent worker is one core, and it starts every request that arrives. At 50 concurrent
clients, 50 requests interleave at every database round trip, each holding its context,
session and pooled connection: the worker spends more CPU per request (cold caches, the
hub, the pool's waits) and still idles part of the time. Admitting a few requests at once
(`ADMISSION_SLOTS`) and letting the others wait their turn keeps the core on requests that
finish (docs/benchmarks.md).

It lives here, at the web edge, as WSGI middleware, and nothing below it knows of it. What
never waits for a slot, and what gives one back:
- a websocket upgrade: a chat socket runs inside the app call for its whole life;
- the body of a streamed response (server-sent events, downloads): the slot is given back
  when the app returns, before the body is sent.

A request never waits longer than `ADMISSION_WAIT_MS` for a slot: past it, it runs anyway.
So requests stuck on a store that does not answer (until its timeout) delay the others by
at most that much, never stop them. Only in a gevent-patched process (the gunicorn worker);
threads, the CLI and the tests' client run every request at once."""

from __future__ import annotations

from gevent.lock import Semaphore

from app.services.concurrency import gevent_patched


class Admission:
    """WSGI middleware: at most `slots` requests inside `wsgi_app` at once."""

    def __init__(self, wsgi_app, slots: int, wait_seconds: float):
        self.wsgi_app = wsgi_app
        self.wait_seconds = wait_seconds
        self.semaphore = Semaphore(slots)
        self.overrun = 0  # requests that ran without a slot after waiting wait_seconds

    def __call__(self, environ, start_response):
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            return self.wsgi_app(environ, start_response)
        admitted = self.semaphore.acquire(timeout=self.wait_seconds)
        if not admitted:
            self.overrun += 1
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            if admitted:
                self.semaphore.release()


def init_app(app) -> None:
    slots = app.config["ADMISSION_SLOTS"]
    if slots > 0 and gevent_patched():
        app.wsgi_app = Admission(app.wsgi_app, slots, app.config["ADMISSION_WAIT_MS"] / 1000)
