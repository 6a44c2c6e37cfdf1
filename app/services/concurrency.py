"""Running CPU-heavy work without stalling the gevent event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import gevent
from gevent import monkey

T = TypeVar("T")


_patched = False


def gevent_patched() -> bool:
    """Whether gevent has patched this process (asked on every wait for PostgreSQL). A
    process once patched stays patched, so a yes is kept; a no is asked again (the gevent
    worker patches itself after the master started)."""
    global _patched
    if _patched:
        return True
    _patched = monkey.is_module_patched("socket")
    return _patched


def run_blocking(fn: Callable[..., T], *args, pool=None) -> T:
    """Call fn in a gevent thread pool (`pool`, else the hub's) under the gevent worker,
    inline elsewhere. What fn raises is raised here, in the caller, which decides whether it
    is an error worth a traceback: gevent's pool prints every exception that leaves it, a
    refused upload's Invalid included, to stderr with its traceback."""
    if gevent_patched():
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
