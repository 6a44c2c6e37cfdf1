"""Turns at image decoding: what keeps one worker's memory bounded however many images
arrive at once.

Pillow holds a whole decoded image in memory, one to four bytes a pixel, before anything can
be done with it, and a PNG of a few tens of KB can declare tens of megapixels. So
every image is decoded in its turn, and a turn is given only when
- fewer than `workers` images are being decoded (the threads doing it: a gevent thread pool
  of that size under the gevent worker, its threads at a lower priority than the event
  loop's; the caller's own thread elsewhere), and
- the estimated memory of those being decoded, plus this one's, is within `memory` bytes
  (an image estimated above `memory` on its own waits until nothing else runs, then runs
  alone).
An image that fits goes at once, even past bigger ones waiting: under pressure ordinary
photos keep flowing while the expensive images wait. An image waits at most `wait` seconds
for room (then `Busy`), and when `queue` images already wait, one more that does not fit is
refused at once with `Busy` (503 with Retry-After), before anything is stored.

The lock is `threading.Condition`: under the gevent worker, gevent has patched `threading`
before the app is made, so waiting for a turn yields to the other greenlets; in threads
(the development server, tests, the CLI) it is an ordinary lock. Turns are taken and given
back by the caller (a request's greenlet or thread), never inside the pool."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from flask import current_app
from gevent.threadpool import ThreadPool

from app.services.concurrency import gevent_patched, run_blocking
from app.services.errors import Busy

T = TypeVar("T")
log = logging.getLogger("dreamdot.media")

BUSY_MESSAGE = "Too many images are being processed right now; try again in a few seconds."
RETRY_AFTER_SECONDS = 5


class DecodeTurns:
    """At most `workers` images decoding at once within `memory` bytes, at most `queue`
    waiting, each at most `wait` seconds; one more, or one that waited too long, is Busy."""

    def __init__(self, workers: int, memory: int, queue: int, wait: float = 10.0) -> None:
        self.workers = max(1, workers)
        self.memory = max(1, memory)
        self.queue = max(0, queue)
        self.wait = wait
        self._changed = threading.Condition()
        self._running = 0
        self._reserved = 0
        self._waiting = 0
        self._pool = None

    def run(self, cost: int, fn: Callable[..., T], *args) -> T:
        """fn(*args) in its turn, `cost` bytes being its estimated peak memory; Busy when
        the queue is full."""
        pool = self._threads()
        with self.turn(cost):
            if pool is None:
                return fn(*args)
            return run_blocking(_in_the_background, fn, *args, pool=pool)

    @contextmanager
    def turn(self, cost: int):
        cost = min(max(cost, 0), self.memory)  # more than the whole budget: runs alone
        self._take(cost)
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._reserved -= cost
                self._changed.notify_all()

    def state(self) -> dict:
        """Decoding now, bytes reserved, waiting: for tests and the bench."""
        with self._changed:
            return {"running": self._running, "reserved": self._reserved, "waiting": self._waiting}

    def _take(self, cost: int) -> None:
        with self._changed:
            if self._fits(cost):
                self._enter(cost)
                return
            if self._waiting >= self.queue:
                raise self._busy("the line is full")
            self._waiting += 1
            try:
                if not self._changed.wait_for(lambda: self._fits(cost), self.wait):
                    raise self._busy(f"no room within {self.wait:g} s")
                self._enter(cost)
            finally:
                self._waiting -= 1

    def _busy(self, why: str) -> Busy:
        log.warning("image refused: decoding busy, %s (%d decoding, %d waiting)", why, self._running, self._waiting)
        return Busy(BUSY_MESSAGE, retry_after=RETRY_AFTER_SECONDS, code="images_busy")

    def _fits(self, cost: int) -> bool:
        return self._running < self.workers and self._reserved + cost <= self.memory

    def _enter(self, cost: int) -> None:
        self._running += 1
        self._reserved += cost

    def _threads(self):
        """Under the gevent worker, a thread pool of `workers` threads, made in the process
        that uses it (after gunicorn's fork); elsewhere None: the caller's thread decodes."""
        if not gevent_patched():
            return None
        if self._pool is None:
            self._pool = ThreadPool(self.workers)
        return self._pool


def _in_the_background(fn: Callable[..., T], *args) -> T:
    """fn(*args) in a decoding thread that yields the cores to the event loop: on Linux,
    where the nice value is per thread (setpriority(2)), each pool thread runs 10 nice
    levels below the worker, so decoding takes only the CPU that serving requests leaves."""
    thread = threading.get_native_id()
    if sys.platform.startswith("linux") and thread not in _BACKGROUND_THREADS:
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + 10))
        _BACKGROUND_THREADS.add(thread)
    return fn(*args)


_BACKGROUND_THREADS: set[int] = set()


def init_image_decoding(app) -> None:
    config = app.config
    app.extensions["dreamdot.decode_turns"] = DecodeTurns(
        config["IMAGE_DECODE_WORKERS"], config["IMAGE_DECODE_MEMORY_MB"] * 1024 * 1024,
        config["IMAGE_DECODE_QUEUE"], config["IMAGE_DECODE_WAIT_SECONDS"])


def decode_turns() -> DecodeTurns:
    return current_app.extensions["dreamdot.decode_turns"]


def decode_in_turn(cost: int, fn: Callable[..., T], *args) -> T:
    """fn(*args), decoding an image estimated to need `cost` bytes at most, in its turn."""
    return decode_turns().run(cost, fn, *args)
