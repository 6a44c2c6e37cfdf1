"""The deadline on waits for PostgreSQL (app/services/pg_wait.py); the end-to-end case (a
blackholed server) is in tests/infra/test_faults.py."""

from __future__ import annotations

import os
import resource
import socket
import time

import pytest

from app.services import pg_wait


def test_a_wait_ends_at_its_deadline_and_sees_data():
    left, right = socket.socketpair()
    with left, right:
        started = time.monotonic()
        assert pg_wait._ready(left.fileno(), False, 0.2) is False
        assert 0.15 < time.monotonic() - started < 2
        right.sendall(b"x")
        assert pg_wait._ready(left.fileno(), False, 1.0) is True
        assert pg_wait._ready(left.fileno(), True, 1.0) is True


def test_descriptors_above_1024_are_waited_on():
    """A worker holding thousands of streams has high descriptors (select() refuses them)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2100:
        pytest.skip("the hard limit on open files is too low")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2100), hard))
    left, right = socket.socketpair()
    high = 2050
    try:
        os.dup2(left.fileno(), high)
        assert pg_wait._ready(high, False, 0.1) is False
        right.sendall(b"x")
        assert pg_wait._ready(high, False, 1.0) is True
    finally:
        os.close(high)
        left.close()
        right.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_connection_classes_carry_their_deadlines():
    cls = pg_wait.connection_class(2, 7.5)
    assert (cls.connect_deadline, cls.socket_deadline) == (2.0, 7.5)
    assert pg_wait.connection_class(2, 7.5) is cls
    assert pg_wait.connection_class(0, 0).socket_deadline == 0.0
