"""Running CPU-heavy work without stalling the gevent event loop, and a request's admission
slot (app/web/admission.py)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


_patched = False


def gevent_patched() -> bool:
    """Whether gevent has patched this process (asked on every wait for PostgreSQL). A
    process once patched stays patched, so a yes is kept; a no is asked again (the gevent
    worker patches itself after the master started)."""
    global _patched
    if _patched:
        return True
    try:
        from gevent import monkey
    except ImportError:
        return False
    _patched = monkey.is_module_patched("socket")
    return _patched


def run_blocking(fn: Callable[..., T], *args, pool=None) -> T:
    """Call fn in a gevent thread pool (`pool`, else the hub's) under the gevent worker,
    inline elsewhere. What fn raises is raised here, in the caller, which decides whether it
    is an error worth a traceback: gevent's pool prints every exception that leaves it, a
    refused upload's Invalid included, to stderr with its traceback."""
    if gevent_patched():
        import gevent

        pool = pool if pool is not None else gevent.get_hub().threadpool
        outcome = pool.apply(_outcome, (fn, args))
        if isinstance(outcome, _Raised):
            raise outcome.error
        return outcome
    return fn(*args)


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _outcome(fn: Callable[..., T], args: tuple) -> T | _Raised:
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - handed to the caller, raised again there
        return _Raised(exc)


# Admission slots (app/web/admission.py): the slot of the request this greenlet serves.
_slot: contextvars.ContextVar[Slot | None] = contextvars.ContextVar("dreamdot_admission_slot", default=None)


class Slot:
    """One request's place among a worker's admission slots: held, or given back while the
    request waits on something outside (`stepping_out`)."""

    __slots__ = ("semaphore", "wait_seconds", "counter", "held")

    def __init__(self, semaphore, wait_seconds: float, counter):
        self.semaphore = semaphore
        self.wait_seconds = wait_seconds
        self.counter = counter  # has `overrun`: requests that ran without a slot after waiting
        self.held = False

    def take(self) -> None:
        self.held = self.semaphore.acquire(timeout=self.wait_seconds)
        if not self.held:
            self.counter.overrun += 1

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.semaphore.release()


@contextmanager
def admitted(slot: Slot):
    """Run the block in `slot`: taken first (or given up on after its wait), given back after."""
    slot.take()
    token = _slot.set(slot)
    try:
        yield slot
    finally:
        _slot.reset(token)
        slot.give_back()


@contextmanager
def stepping_out():
    """Let another request have this one's admission slot while the block waits on an
    outside service (Stripe, ImageKit); take a slot again afterwards. Nothing happens where
    there are no slots (threads, the CLI, tests)."""
    slot = _slot.get()
    if slot is None or not slot.held:
        yield
        return
    slot.give_back()
    try:
        yield
    finally:
        slot.take()
