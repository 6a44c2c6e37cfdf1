"""Benchmark of the signed-in home feed page on PostgreSQL under gunicorn's gevent worker.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dd_bench python bench/feed.py

The stores are those of bench/stores.py: every bind on BENCH_DATABASE_URL (default dd_bench
on this machine), documents on BENCH_MONGODB_URI or an embedded secantusdb started for the run.

Seeds (or reuses) 10,000 users and 200,000 posts, counts the SQL queries of a feed page at
several page sizes, serves the app with gunicorn (gevent worker), drives 50 concurrent
clients with wrk against the home feed and against a bare route of the same app, and
prints requests per second, p50/p95/p99 and the feed/bare ratio.

The routes take turns in BENCH_ROUNDS rounds (bare, home, API, bare, ...), BENCH_SECONDS per
route in all, so load from other work on a shared machine falls on all of them alike; a
route's percentiles are those of all its requests (wrk's histograms of the rounds merged),
and the worst round's p99 is printed beside them. The
script also reads the CPU time the gunicorn worker and the database's server processes
spent per request (Linux /proc): unlike requests per second, that does not move with
other work on the machine.
Options by environment: BENCH_USERS, BENCH_POSTS, BENCH_FOLLOWS, BENCH_SECONDS,
BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_PORT, BENCH_WORKERS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stores import DocumentStore, create_schema, database_url, store_env  # noqa: E402

DB_URL = database_url()
USERS = int(os.environ.get("BENCH_USERS", "10000"))
POSTS = int(os.environ.get("BENCH_POSTS", "200000"))
FOLLOWS = int(os.environ.get("BENCH_FOLLOWS", "50"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "4")))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
PORT = int(os.environ.get("BENCH_PORT", "5077"))
WORKERS = os.environ.get("BENCH_WORKERS", "1")
INSTANCE = Path(tempfile.mkdtemp(prefix="dreamdot-bench-"))

ENV = {
    **os.environ,
    "SECRET_KEY": "bench-secret-key-not-for-production",
    "APP_ENV": "development",
    "INSTANCE_PATH": str(INSTANCE),
    "LOG_LEVEL": "WARNING",
    "RATELIMIT_ENABLED": "false",
    # Per bind (each has its own pool): the three busy pools stay within PostgreSQL's
    # default 100 connections with room for other clients.
    "DB_POOL_SIZE": os.environ.get("DB_POOL_SIZE", "10"),
    "DB_MAX_OVERFLOW": os.environ.get("DB_MAX_OVERFLOW", "5"),
    "WEB_CONCURRENCY": WORKERS,
}


def use_stores(mongodb_uri: str) -> None:
    """The stores' addresses, for this process's app and for gunicorn's."""
    stores = store_env(ENV, DB_URL, mongodb_uri)
    for name in set(ENV) - set(stores):  # per-bind addresses of the caller's environment
        del ENV[name]
        os.environ.pop(name, None)
    ENV.update(stores)
    os.environ.update(ENV)

# wrk's Lua report: the totals on stdout, and the whole latency histogram (each distinct
# latency in microseconds with its count) into a file, so that the rounds of a route can be
# merged and their percentiles taken over all requests, not averaged.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, '
    .. '"p50": %d, "p95": %d, "p99": %d}\\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  local out = io.open(HISTOGRAM, "w")
  for i = 1, #latency do
    local value, count = latency(i)
    out:write(string.format("%d %d\\n", value, count))
  end
  out:close()
end
"""


def prepare():
    """Tables, data and a signed-in session cookie for `demo`."""
    from app import create_app
    from app.extensions import db

    app = create_app()
    create_schema(app)  # tables, and the collections and indexes before serving
    with app.app_context():
        import sqlalchemy as sa

        from app.models.social import Post
        from app.services.seed import seed_all

        have = db.session.scalar(sa.select(sa.func.count()).select_from(Post))
        if have < POSTS:
            started = time.perf_counter()
            report = seed_all(users=USERS, password="dreamdot-demo-pass", posts=POSTS,
                              follows_per_user=FOLLOWS, likes=POSTS, comments=POSTS // 4)
            db.session.commit()
            print(f"seeded in {time.perf_counter() - started:.1f} s: {report}")
        else:
            print(f"reusing {have:,} posts")
        # What autovacuum does on a live database: statistics and the visibility map
        # (index-only scans on the feed's author index).
        with db.engines["social"].connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    cookie = session_cookie(app)  # outside the app context: each request gets its own `g`
    counts = count_queries(app, cookie)
    return cookie, counts


# The browser every client of the run is: the sign-in and the load use the same identity,
# as one browser's requests do (Flask-Login's session protection compares them).
USER_AGENT = "DreamDotBench/1.0 (like a browser)"


def session_cookie(app) -> str:
    """Sign `demo` in through the sign-in form ("keep me signed in"), from 127.0.0.1 with
    USER_AGENT: the cookie a real browser holds afterwards."""
    import re

    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT})
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/signin", data={"csrf_token": token, "login": "demo",
                                            "password": "dreamdot-demo-pass", "remember": "y"})
    if response.status_code not in (302, 303):
        raise SystemExit(f"signing demo in failed: {response.status_code}")
    client.get("/home")  # the first page after sign-in stores the session's CSRF secret
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


@contextmanager
def recording(app):
    import sqlalchemy as sa

    from app.extensions import db

    seen = []

    def listener(conn, cursor, statement, *args):
        if statement.split()[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "EXECUTE"):
            seen.append(statement)

    engines = set(db.engines.values())
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", listener)


def count_queries(app, cookie: str) -> dict:
    """SQL statements per request: the home page, and the feed API at 5, 20 and 100 posts;
    and those of the feed itself (the service), apart from sign-in and the layout."""
    from app.extensions import db
    from app.models import User
    from app.services.social.feeds import home_feed

    results = {}
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT})
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    with app.app_context():
        client.get("/home")  # a user's first visit also writes their sign-up grant: count the steady state
    for label, url in (("page /home", "/home"), ("api limit=5", "/api/posts/feed?limit=5"),
                       ("api limit=20", "/api/posts/feed?limit=20"),
                       ("api limit=100", "/api/posts/feed?limit=100")):
        with app.app_context(), recording(app) as seen:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        results[label] = len(seen)
    import sqlalchemy as sa

    with app.app_context():
        demo = db.session.scalar(sa.select(User).where(User.username == "demo"))
        for size in (5, 20, 100):
            with recording(app) as seen:
                page = home_feed(demo, limit=size, with_counts=True)
                [(e.author.username, e.liked) for e in page.entries]
            results[f"feed service limit={size}"] = len(seen)
    return results


def serve():
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
           "--access-logfile", "/dev/null", "-b", f"127.0.0.1:{PORT}", "-w", WORKERS,
           "bench.wsgi_bench:app"]
    process = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/bare", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


def wrk(url: str, cookie: str, seconds: float) -> dict:
    """One wrk run; its result holds the latency histogram as {microseconds: count}."""
    histogram = INSTANCE / "latency.txt"
    script = INSTANCE / "report.lua"
    script.write_text(f"HISTOGRAM = {json.dumps(str(histogram))}\n" + WRK_SCRIPT)
    cmd = ["wrk", "-t", str(min(2, CONNECTIONS)), "-c", str(CONNECTIONS), "-d", f"{max(1, round(seconds))}s",
           "-s", str(script), "-H", f"Cookie: dreamdot_session={cookie}", "-H", f"User-Agent: {USER_AGENT}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    data = json.loads(line[len("RESULT "):])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["histogram"] = {}
    for row in histogram.read_text().split("\n"):
        if row:
            value, count = row.split()
            data["histogram"][int(value)] = int(count)
    return data


def percentile(histogram: dict[int, int], p: float) -> int:
    """The smallest latency at or under which p percent of the requests fall (as wrk's)."""
    total = sum(histogram.values())
    wanted = total * p / 100
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= wanted:
            return value
    return 0


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU time of each of these processes that could be read (Linux /proc)."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, IndexError, ValueError):
            continue
    return seconds


def cpu_spent(before: dict, after: dict) -> float | None:
    """CPU time spent between two readings by the processes seen in both."""
    common = before.keys() & after.keys()
    return sum(after[pid] - before[pid] for pid in common) if common else None


def worker_pids(master: int) -> list[int]:
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def database_pids() -> list[int]:
    """The server processes of the benchmark's database (connections of the app's pools)."""
    import sqlalchemy as sa

    engine = sa.create_engine(sa.make_url(DB_URL).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return list(connection.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()")).scalars())
    finally:
        engine.dispose()


def combine(runs: list[dict]) -> dict:
    """Rounds of one route: requests and time summed; latency percentiles over all the
    requests of all rounds (their histograms merged), and the worst round's p99."""
    total = {key: sum(run[key] for run in runs) for key in ("requests", "duration_us", "errors", "non2xx")}
    total["rps"] = total["requests"] / (total["duration_us"] / 1e6)
    merged: dict[int, int] = {}
    for run in runs:
        for value, count in run["histogram"].items():
            merged[value] = merged.get(value, 0) + count
    for key, p in (("p50", 50), ("p95", 95), ("p99", 99)):
        total[key] = percentile(merged, p)
    total["p99_worst"] = max(run["p99"] for run in runs)
    return total


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with DocumentStore() as documents:
        use_stores(documents.uri)
        run(documents.name)


def run(documents: str) -> None:
    cookie, counts = prepare()
    print("SQL statements per request:")
    for label, n in counts.items():
        print(f"  {label:24} {n}")
    server = serve()
    routes = {"bare": "/bench/bare", "signed-in": "/bench/signed-in", "home feed": "/home",
              "api feed": "/api/posts/feed"}
    runs = {name: [] for name in routes}
    cpu = {name: {"worker": 0.0, "database": 0.0} for name in routes}
    try:
        base = f"http://127.0.0.1:{PORT}"
        check = urllib.request.Request(f"{base}/home", headers={"Cookie": f"dreamdot_session={cookie}",
                                                                  "User-Agent": USER_AGENT})
        body = urllib.request.urlopen(check, timeout=10).read().decode()
        assert 'id="home-feed"' in body and body.count('class="card post"') == 20, "not the signed-in feed"
        wrk(f"{base}/bench/bare", cookie, 3)  # warm up
        wrk(f"{base}/bench/signed-in", cookie, 2)
        wrk(f"{base}/home", cookie, 3)
        wrk(f"{base}/api/posts/feed", cookie, 2)
        workers = worker_pids(server.pid)
        for _ in range(ROUNDS):
            for name, path in routes.items():
                backends = database_pids()
                before = cpu_seconds(workers), cpu_seconds(backends)
                runs[name].append(wrk(f"{base}{path}", cookie, SECONDS / ROUNDS))
                after = cpu_seconds(workers), cpu_seconds(backends)
                for key, start, end in (("worker", before[0], after[0]), ("database", before[1], after[1])):
                    spent = cpu_spent(start, end)
                    cpu[name][key] = None if spent is None or cpu[name][key] is None else cpu[name][key] + spent
    finally:
        server.terminate()
        server.wait(10)
    results = {name: combine(route_runs) for name, route_runs in runs.items()}
    print(f"\n{CONNECTIONS} concurrent clients, {SECONDS} s per route in {ROUNDS} alternating rounds, "
          f"gunicorn gevent x{WORKERS}, PostgreSQL, documents on {documents}")
    print(f"{'route':11} {'rps':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'worst p99':>9} {'errors':>6} "
          f"{'non-2xx':>7} {'worker CPU ms/req':>17} {'PG CPU ms/req':>13}")
    for name, r in results.items():
        worker, database = (cpu[name][key] for key in ("worker", "database"))
        def per(value, requests=r["requests"]):
            return f"{value * 1000 / requests:.2f}" if value is not None and requests else "n/a"

        print(f"{name:11} {r['rps']:7.0f} {r['p50'] / 1000:7.1f} {r['p95'] / 1000:7.1f} {r['p99'] / 1000:7.1f} "
              f"{r['p99_worst'] / 1000:9.1f} {r['errors']:6d} {r['non2xx']:7d} {per(worker):>17} {per(database):>13}")
    bare, signed_in, feed, api = (results[name] for name in ("bare", "signed-in", "home feed", "api feed"))
    print(f"feed / bare: {feed['rps'] / bare['rps']:.0%} of the bare route's requests per second "
          f"(JSON feed: {api['rps'] / bare['rps']:.0%}; a signed-in route that does nothing else: "
          f"{signed_in['rps'] / bare['rps']:.0%})")
    if cpu["bare"]["worker"] and cpu["home feed"]["worker"]:
        ratio = (cpu["bare"]["worker"] / bare["requests"]) / (cpu["home feed"]["worker"] / feed["requests"])
        print(f"worker CPU per request, bare / feed: {ratio:.0%} (the requests/s ratio an idle core would give "
              f"if the worker's CPU were the only limit)")


if __name__ == "__main__":
    main()
