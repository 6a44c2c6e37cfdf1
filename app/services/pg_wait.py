"""Waiting on PostgreSQL with a deadline.

libpq waits for the server as long as the operating system lets it: on a network that drops
packets silently (a host gone, a firewall, a partition) a query sent on a pooled connection
waits for a reply that never comes, for many minutes, and statement_timeout cannot help (the
server never saw the statement). `connect_timeout` bounds only a blocking connect, and
gevent workers connect asynchronously (psycogreen), where libpq ignores it.

So psycopg2 is given a wait callback (its "green" mode, as psycogreen does): every wait on a
connection's socket has a deadline, DB_CONNECT_TIMEOUT while connecting and
DB_SOCKET_TIMEOUT afterwards. Past it, the socket is shut down: psycopg2 then reports the
connection lost (OperationalError), SQLAlchemy drops it from the pool, the request answers
503, and the next request connects afresh (the pool replaces the connections older than
the failure), so the app recovers by itself
when the path comes back. In a gevent-patched process the callback waits as psycogreen's
does (gevent's wait_read/wait_write, cooperative), elsewhere with `poll`: one callback for
gevent workers, threads and the CLI alike.

The deadlines are per engine: each engine's connections are of a connection class carrying
them (`connection_class`)."""

from __future__ import annotations

import logging
import os
import select
import socket
import time

import psycopg2
import psycopg2.extensions as ext

from app.services.concurrency import gevent_patched

log = logging.getLogger("dreamdot.db")

_classes: dict[tuple[float, float], type] = {}


def connection_class(connect_timeout: float, socket_timeout: float) -> type:
    """A psycopg2 connection class whose waits have these deadlines (seconds; 0: none)."""
    key = (float(connect_timeout or 0), float(socket_timeout or 0))
    if key not in _classes:
        _classes[key] = type("DreamDotConnection", (ext.connection,),
                             {"connect_deadline": key[0], "socket_deadline": key[1]})
    return _classes[key]


def wait(connection) -> None:
    """psycopg2's wait callback: poll until the operation is done, waiting on the socket at
    most the connection's deadline each time."""
    connecting = connection.status == ext.STATUS_SETUP
    limit = getattr(connection, "connect_deadline" if connecting else "socket_deadline", 0.0)
    deadline = time.monotonic() + limit if limit else None
    while True:
        state = connection.poll()
        if state == ext.POLL_OK:
            return
        if state not in (ext.POLL_READ, ext.POLL_WRITE):
            raise psycopg2.OperationalError(f"unexpected poll state {state}")
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        if not _ready(connection.fileno(), state == ext.POLL_WRITE, left):
            log.warning("PostgreSQL did not answer within %.1fs (%s): connection dropped",
                        limit, "connecting" if connecting else "waiting for a reply")
            _shut_down(connection.fileno())  # the next poll() reports the connection lost


def _ready(fd: int, write: bool, timeout: float | None) -> bool:
    """Whether the socket became readable (writable) within `timeout` seconds (None: no
    limit). In a gevent-patched process the wait yields to other greenlets; `poll`, not
    `select`, as a worker holding thousands of streams has descriptors above 1024."""
    if gevent_patched():
        from gevent.socket import wait_read, wait_write

        try:
            (wait_write if write else wait_read)(fd, timeout=timeout, timeout_exc=TimeoutError)
        except TimeoutError:
            return False
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    return bool(poller.poll(None if timeout is None else int(timeout * 1000) + 1))


def _shut_down(fd: int) -> None:
    sock = socket.socket(fileno=os.dup(fd))
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


def install() -> None:
    """Make `wait` psycopg2's wait callback in this process (it replaces psycogreen's, and
    like it yields to gevent in a patched process)."""
    if ext.get_wait_callback() is not wait:
        ext.set_wait_callback(wait)
