"""Running CPU-heavy work without stalling the gevent event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


def run_blocking(fn: Callable[..., T], *args) -> T:
    """Call fn in gevent's thread pool under the gevent worker, inline elsewhere."""
    if _gevent_patched():
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args)
    return fn(*args)
