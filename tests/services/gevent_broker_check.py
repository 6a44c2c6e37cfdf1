"""Run in a subprocess: the broker under gevent's monkey-patching, as in gunicorn's gevent
worker. Prints OK when a subscriber waiting in Subscription.get(timeout) receives an event
published by another greenlet and did not block the others while it waited."""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402

from app.services.broker import MemoryBroker, RedisBroker  # noqa: E402


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else ""
    broker = RedisBroker(url, prefix=f"dreamdot-gevent-{time.time_ns()}:") if url else MemoryBroker()
    subscription = broker.subscribe(["user:1"])
    ticks = []

    def ticker():
        for _ in range(10):
            ticks.append(time.monotonic())
            gevent.sleep(0.02)

    def publisher():
        gevent.sleep(0.1)
        broker.publish("user:1", {"type": "notification", "id": 7})

    started = time.monotonic()
    greenlets = [gevent.spawn(ticker), gevent.spawn(publisher)]
    event = subscription.get(timeout=2)
    waited = time.monotonic() - started
    nothing = subscription.get(timeout=0.05)
    gevent.joinall(greenlets)
    subscription.close()
    broker.close()
    assert event == {"type": "notification", "id": 7}, event
    assert nothing is None
    assert waited < 1.0, waited
    # The ticker ran while the main greenlet waited: the wait yields to the event loop.
    assert len([t for t in ticks if t < started + waited]) >= 3, ticks
    print("OK")


if __name__ == "__main__":
    main()
