"""psycopg 3 cooperates with gevent by itself: in a patched process two statements that each
wait on the server run at the same time, with no psycogreen and no wait callback of ours."""

import subprocess
import sys
import textwrap

from app.services.stores import bind_url

SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import sys, time
    import gevent
    import sqlalchemy as sa

    engine = sa.create_engine(sys.argv[1], pool_size=2)
    def sleep():
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_sleep(0.5)"))
    # Both pooled connections made first: only the waits are timed.
    first, second = engine.connect(), engine.connect()
    first.close()
    second.close()
    started = time.monotonic()
    gevent.joinall([gevent.spawn(sleep), gevent.spawn(sleep)], raise_error=True)
    print(round(time.monotonic() - started, 2))
""")


def test_two_waits_on_postgresql_overlap_in_a_gevent_process(app):
    result = subprocess.run([sys.executable, "-c", SCRIPT, bind_url(app.config, "users")],
                            capture_output=True, text=True, timeout=60, check=True)
    assert float(result.stdout.strip()) < 0.9, result.stdout  # one after the other would take 1 s
