"""The PostgreSQL pool tests a connection before handing it out only when it has been idle
(`stores.install_idle_ping`): a dead idle connection is replaced unseen, and a connection
in steady use costs no extra round trip."""

import time

import pytest
import sqlalchemy as sa

from app.services.stores import bind_url, install_idle_ping


@pytest.fixture
def pg_url(app) -> str:
    return bind_url(app.config, "users")


@pytest.fixture
def make_engine(pg_url):
    engines = []

    def build(after_seconds: float):
        engine = sa.create_engine(pg_url, pool_size=1, max_overflow=0)
        install_idle_ping(engine, after_seconds)
        pings = []
        real_ping = engine.dialect.do_ping

        def counting_ping(dbapi_connection):
            pings.append(1)
            return real_ping(dbapi_connection)

        engine.dialect.do_ping = counting_ping
        engines.append(engine)
        return engine, pings

    yield build
    for engine in engines:
        engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT pg_backend_pid()"))


def test_an_idle_dead_connection_is_replaced_before_use(make_engine, pg_url):
    engine, pings = make_engine(0)
    first = backend_pid(engine)
    with sa.create_engine(pg_url, poolclass=sa.pool.NullPool).connect() as other:
        assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    second = backend_pid(engine)  # no error: the ping found it dead, the pool connected anew
    assert second != first
    assert pings


def test_a_connection_in_steady_use_is_pinged_only_when_new(make_engine):
    engine, pings = make_engine(60)
    pids = {backend_pid(engine) for _ in range(5)}
    assert len(pids) == 1 and len(pings) == 1


def test_a_busy_connection_the_server_closed_is_replaced_before_use(make_engine, pg_url):
    """Within the idle limit no ping is sent, but the end-of-file the server left on the
    socket is seen: the request still gets a live connection."""
    engine, pings = make_engine(60)
    first = backend_pid(engine)
    with sa.create_engine(pg_url, poolclass=sa.pool.NullPool).connect() as other:
        assert other.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    time.sleep(0.2)  # the server's end of the connection reaches this socket
    assert backend_pid(engine) != first


def test_a_connection_idle_past_the_limit_is_pinged(make_engine):
    engine, pings = make_engine(0)
    for _ in range(3):
        backend_pid(engine)
    assert len(pings) == 3
