"""Turns at image decoding: a few at once within a memory budget, a short line, Busy past it."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.services.errors import Busy
from app.services.media.decoding import DecodeTurns

ROOT = Path(__file__).resolve().parents[2]


class Waiter(threading.Thread):
    """A thread that takes a turn of `cost`, holds it until told, and records its turn."""

    def __init__(self, turns: DecodeTurns, cost: int, order: list) -> None:
        super().__init__(daemon=True)
        self.turns, self.cost, self.order = turns, cost, order
        self.release = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            with self.turns.turn(self.cost):
                self.order.append(self.cost)
                self.release.wait(10)
        except Busy as exc:
            self.error = exc


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_full_line_is_busy_at_once_and_the_next_after_it_drains_has_its_turn():
    turns, order = DecodeTurns(workers=1, memory=100, queue=1), []
    first, second = Waiter(turns, 10, order), Waiter(turns, 10, order)
    first.start()
    wait_until(lambda: order == [10])
    second.start()
    wait_until(lambda: turns.state()["waiting"] == 1)
    started = time.monotonic()
    with pytest.raises(Busy) as caught:
        with turns.turn(10):
            pass
    assert time.monotonic() - started < 0.5  # refused without waiting
    assert caught.value.status == 503 and caught.value.code == "images_busy"
    assert caught.value.retry_after == 5
    assert caught.value.message == "Too many images are being processed right now; try again in a few seconds."
    first.release.set()
    wait_until(lambda: order == [10, 10])
    second.release.set()
    second.join(5)
    with turns.turn(10):  # drained: the next one goes straight in
        assert turns.state() == {"running": 1, "reserved": 10, "waiting": 0}
    assert turns.state() == {"running": 0, "reserved": 0, "waiting": 0}


def test_the_memory_budget_holds_back_what_does_not_fit_and_lets_what_fits_go_first():
    turns, order = DecodeTurns(workers=4, memory=100, queue=5), []
    big = Waiter(turns, 60, order)
    big.start()
    wait_until(lambda: order == [60])
    middle, small = Waiter(turns, 50, order), Waiter(turns, 30, order)
    middle.start()  # 60 + 50 is over the budget, though a worker is free: it waits
    wait_until(lambda: turns.state()["waiting"] == 1)
    small.start()  # an ordinary photo fits beside 60: it goes past the big one waiting
    wait_until(lambda: order == [60, 30])
    assert turns.state() == {"running": 2, "reserved": 90, "waiting": 1}
    big.release.set()
    wait_until(lambda: order == [60, 30, 50])
    assert turns.state()["reserved"] == 80
    middle.release.set()
    small.release.set()


def test_an_image_that_finds_no_room_in_time_is_busy():
    turns, order = DecodeTurns(workers=1, memory=100, queue=5, wait=0.2), []
    holder = Waiter(turns, 10, order)
    holder.start()
    wait_until(lambda: order == [10])
    started = time.monotonic()
    with pytest.raises(Busy):
        with turns.turn(10):
            pass
    assert 0.15 < time.monotonic() - started < 2
    assert turns.state() == {"running": 1, "reserved": 10, "waiting": 0}
    holder.release.set()


def test_an_image_over_the_whole_budget_runs_alone():
    turns, order = DecodeTurns(workers=2, memory=100, queue=5), []
    huge, other = Waiter(turns, 500, order), Waiter(turns, 1, order)
    huge.start()
    wait_until(lambda: order == [500])
    assert turns.state()["reserved"] == 100  # the whole budget, no more
    other.start()
    wait_until(lambda: turns.state()["waiting"] == 1)
    huge.release.set()
    wait_until(lambda: order == [500, 1])
    other.release.set()


def test_the_caller_runs_the_work_where_gevent_is_not_patched():
    turns = DecodeTurns(workers=1, memory=100, queue=0)
    assert turns.run(10, threading.get_ident) == threading.get_ident()


GEVENT_TURNS = """
from gevent import monkey
monkey.patch_all()
import os, threading, time
import gevent
from app.services.errors import Busy
from app.services.media.decoding import DecodeTurns

real_sleep = monkey.get_original("time", "sleep")
hub_thread = threading.get_ident()
spans, ticks = [], []

niceness = set()

def work():
    started = time.perf_counter()
    real_sleep(0.2)  # holds its thread (as Pillow does), not the event loop
    spans.append((started, time.perf_counter(), threading.get_ident()))
    niceness.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

def ticker():
    while len(spans) < 6:
        ticks.append(time.perf_counter())
        gevent.sleep(0.01)

turns = DecodeTurns(workers=2, memory=100, queue=4)
clock = gevent.spawn(ticker)
jobs = [gevent.spawn(turns.run, 10, work) for _ in range(6)]
gevent.sleep(0.05)
try:
    turns.run(10, work)
    print("not refused")
except Busy as exc:
    print("busy", exc.retry_after)
gevent.joinall(jobs + [clock], timeout=10)
most = max(sum(1 for a, b, _ in spans if a <= t < b) for t, _, _ in spans)
print("done", len(spans), "at once", most, "in the hub thread", sum(1 for *_, t in spans if t == hub_thread))
gaps = [b - a for a, b in zip(ticks, ticks[1:])]
print("ticks", len(ticks) > 30, "longest gap under 0.15 s", max(gaps) < 0.15)
hub_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
print("decoding threads at nice", sorted(n - hub_nice for n in niceness))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_under_gevent_waiting_yields_and_two_threads_decode():
    """In the gevent worker the turn's lock is gevent's (threading is patched): while images
    wait for their turn and two decode in the pool's threads, at a lower priority, the event
    loop keeps running."""
    result = subprocess.run([sys.executable, "-c", GEVENT_TURNS], capture_output=True, text=True, timeout=60,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "busy 5", "done 6 at once 2 in the hub thread 0", "ticks True longest gap under 0.15 s True",
        "decoding threads at nice [10]"]  # they yield the cores to the event loop (Linux)
    assert "Traceback" not in result.stderr
