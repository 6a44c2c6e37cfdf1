"""SSE fan-out: N idle /events streams held by ONE gunicorn gevent worker, then one event
fanned out to all of them.

    python -m bench.sse_fanout --streams 5000

The streams belong to `--users` users (default 50; each user's streams are that user's open
tabs). One like on a post of each user makes one notification per user; the broker hands it
to every stream of that user; the notification and badge are rendered from the page
partials once per user (the first of the user's streams to wake) and written to each. Measured: time to open the streams,
the worker's memory (RSS) idle and per stream, and the delivery time from the likes to the
event on every stream (p50, p99, all). The baseline of the same run is one stream alone
receiving one notification. The stores are those of bench/stores.py: every bind on
BENCH_DATABASE_URL (default dd_bench on this machine), documents on BENCH_MONGODB_URI or an
embedded secantusdb started for the run; both are emptied first. With BENCH_REDIS_URL the
broker is Redis, as on several dynos."""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stores import DocumentStore, create_schema, database_url, store_env  # noqa: E402


def bench_env(instance: str, mongodb_uri: str) -> dict:
    env = {**os.environ, "APP_ENV": "development", "INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT),
           "SECRET_KEY": "bench-secret-key-not-for-production", "RATELIMIT_ENABLED": "false",
           "LOG_LEVEL": "WARNING", "SSE_HEARTBEAT_SECONDS": "300", "SSE_MAX_SECONDS": "3600",
           "DB_POOL_SIZE": "10", "DB_MAX_OVERFLOW": "10", "DB_POOL_TIMEOUT": "120",
           "WORKER_CONNECTIONS": "20000", "GUNICORN_TIMEOUT": "120"}
    env.pop("REDIS_URL", None)
    if os.environ.get("BENCH_REDIS_URL"):
        env["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return store_env(env, database_url(), mongodb_uri)


def prepare(env: dict, documents: DocumentStore, users: int) -> list[dict]:
    """Users with a post each, a liker, and API tokens; the stores emptied first."""
    for name in set(os.environ) - set(env):
        del os.environ[name]
    os.environ.update(env)
    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.models.social import Post
    from app.services.accounts import issue_token

    app = create_app()
    create_schema(app, fresh=True, documents=documents)  # collections and indexes before serving
    with app.app_context():
        people = [User(username=f"fan{i}", email=f"fan{i}@example.com", email_key=f"fan{i}@example.com",
                       display_name=f"Fan {i}", password_hash="!", bio="") for i in range(users + 1)]
        db.session.add_all(people)
        db.session.flush()
        posts = [Post(author_id=u.id, body=f"post of {u.username}") for u in people[1:]]
        db.session.add_all(posts)
        db.session.flush()
        liker = issue_token(people[0])
        plan = [{"token": issue_token(u), "post_id": p.id, "liker": liker} for u, p in zip(people[1:], posts)]
        db.session.commit()
        for engine in db.engines.values():
            engine.dispose()
    return plan


def start_server(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-w", "1",
         "-b", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "wsgi:app"],
        cwd=str(ROOT), env=env)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def worker_pid(master: subprocess.Popen) -> int:
    return int(Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()[0])


def worker_rss_kb(master: subprocess.Popen) -> int:
    for line in Path(f"/proc/{worker_pid(master)}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_cpu_seconds(master: subprocess.Popen) -> float:
    fields = Path(f"/proc/{worker_pid(master)}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Stream:
    """One raw /events connection; records when its first `notification` event arrives."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.opened = gevent.event.Event()
        self.received: float | None = None
        self.sock: socket.socket | None = None

    def run(self) -> None:
        try:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=600)
            self.sock.sendall((f"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                               f"Authorization: Bearer {self.token}\r\n\r\n").encode())
            buffer = b""
            while self.received is None:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                if not self.opened.is_set() and b"stream open" in buffer:
                    self.opened.set()
                if b"event: notification" in buffer:
                    self.received = time.monotonic()
        except OSError:
            return
        finally:
            self.opened.set()

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass


def like(port: int, entry: dict) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/social/likes", method="POST",
        data=json.dumps({"post_id": entry["post_id"]}).encode(),
        headers={"Authorization": f"Bearer {entry['liker']}", "Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=120).read()


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def fan_out(port: int, plan: list[dict], streams: int) -> dict:
    """Open `streams` streams spread over the users, then one like per user."""
    opened = [Stream(port, plan[i % len(plan)]["token"]) for i in range(streams)]
    by_user = {}
    for i, stream in enumerate(opened):
        by_user.setdefault(i % len(plan), []).append(stream)
    pool = gevent.pool.Pool(None)
    started = time.monotonic()
    for n, stream in enumerate(opened):
        pool.spawn(stream.run)
        if n % 200 == 199:
            gevent.sleep(0.05)  # do not flood the listen backlog
    for stream in opened:
        stream.opened.wait(timeout=120)
    open_seconds = time.monotonic() - started
    ready = sum(1 for s in opened if s.opened.is_set() and s.received is None and s.sock is not None)
    gevent.sleep(1.0)
    return {"streams": opened, "pool": pool, "open_seconds": open_seconds, "ready": ready,
            "users": sorted(by_user)}


def deliver(port: int, plan: list[dict], state: dict, timeout: float) -> dict:
    """The likes, then wait until every stream has its event. The client's own CPU time over
    that window is measured too: were it near the window's length, the load generator (not
    the worker) would be what the figures measure."""
    cpu = client_cpu_seconds()
    sent = time.monotonic()
    likers = [gevent.spawn(like, port, plan[u]) for u in state["users"]]
    gevent.joinall(likers, timeout=timeout)
    liked = time.monotonic() - sent  # every like answered (its notification committed)
    deadline = sent + timeout
    while time.monotonic() < deadline and any(s.received is None for s in state["streams"]):
        gevent.sleep(0.05)
    times = [s.received - sent for s in state["streams"] if s.received is not None]
    return {"delivered": len(times), "p50": percentile(times, 0.5), "p99": percentile(times, 0.99),
            "all": max(times) if times else float("nan"), "client_cpu": client_cpu_seconds() - cpu,
            "first": min(times) if times else float("nan"), "liked": liked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--users", type=int, default=50, help="users sharing the streams")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for delivery")
    parser.add_argument("--hold", type=float, default=0.0,
                        help="then hold the streams idle this long, measuring the worker's CPU "
                             "(heartbeats and sign-in re-checks; SSE_AUTH_CHECK_SECONDS is passed on)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if 2 * args.streams + 200 > hard:
        raise SystemExit(f"ulimit -n is {hard}: too few for {args.streams} streams on this machine")
    with DocumentStore() as documents:
        measure(args, documents)


def measure(args, documents: DocumentStore) -> None:
    env = bench_env(tempfile.mkdtemp(prefix="dreamdot-sse-"), documents.uri)
    *plan, spare = prepare(env, documents, args.users + 1)  # the spare user is the baseline's
    server = start_server(env, args.port)
    try:
        # Baseline: one stream alone, one notification.
        alone = fan_out(args.port, [spare], 1)
        baseline = deliver(args.port, [spare], alone, 30)
        for stream in alone["streams"]:
            stream.close()
        gevent.sleep(0.5)
        idle_kb = worker_rss_kb(server)
        state = fan_out(args.port, plan, args.streams)
        held_kb = worker_rss_kb(server)
        worker_cpu = worker_cpu_seconds(server)
        result = deliver(args.port, plan, state, args.timeout)
        worker_cpu = worker_cpu_seconds(server) - worker_cpu
        idle_cpu = worker_cpu_seconds(server)
        gevent.sleep(args.hold)
        idle_cpu = worker_cpu_seconds(server) - idle_cpu
        for stream in state["streams"]:
            stream.close()
    finally:
        server.send_signal(signal.SIGQUIT)  # quick shutdown: the streams are gone
        server.wait(30)
    per_stream = (held_kb - idle_kb) / max(state["ready"], 1)
    broker = "Redis" if os.environ.get("BENCH_REDIS_URL") else "in-process"
    print(f"streams={args.streams} users={args.users} (one gunicorn gevent worker, PostgreSQL, "
          f"documents on {documents.name}, {broker} broker)")
    print(f"streams open: {state['ready']} of {args.streams} in {state['open_seconds']:.1f}s")
    print(f"worker RSS: idle {idle_kb / 1024:.1f} MB, with streams {held_kb / 1024:.1f} MB, "
          f"{per_stream:.1f} KB per stream")
    print(f"delivered to {result['delivered']} of {args.streams} streams: p50 {result['p50'] * 1000:.0f} ms, "
          f"p99 {result['p99'] * 1000:.0f} ms, all {result['all'] * 1000:.0f} ms")
    print(f"the first stream had it after {result['first'] * 1000:.0f} ms; "
          f"all {len(plan)} likes answered after {result['liked'] * 1000:.0f} ms")
    print(f"CPU while delivering: worker {worker_cpu:.2f} s, client {result['client_cpu']:.2f} s "
          f"(over {result['all']:.2f} s until the last stream had it)")
    if args.hold:
        print(f"held idle {args.hold:.0f} s: worker CPU {idle_cpu:.2f} s ({idle_cpu / args.hold:.1%} of a core)")
    print(f"baseline, one stream alone: {baseline['p50'] * 1000:.0f} ms")
    print("RESULT " + json.dumps({
        "streams": args.streams, "open": state["ready"], "delivered": result["delivered"],
        "p50_ms": result["p50"] * 1000, "p99_ms": result["p99"] * 1000, "all_ms": result["all"] * 1000,
        "baseline_ms": baseline["p50"] * 1000, "kb_per_stream": per_stream,
        "idle_mb": idle_kb / 1024, "open_seconds": state["open_seconds"],
        "worker_cpu_s": worker_cpu, "client_cpu_s": result["client_cpu"],
        "first_ms": result["first"] * 1000, "likes_answered_ms": result["liked"] * 1000}))


if __name__ == "__main__":
    main()
