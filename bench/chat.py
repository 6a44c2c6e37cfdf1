"""Chat relay benchmark: N authenticated websocket clients against ONE gunicorn gevent
worker, relaying 1-on-1 messages at a set rate, beside a bare flask-sock echo endpoint.

    python bench/chat.py --connections 5000 --rate 1000 --duration 20

Prints connections held, messages per second, p50/p99 relay latency (sender to the other
member's socket) and the worker's memory (RSS, idle and per connection). Both servers and
the clients run on this machine, so the clients' CPU competes with the worker's.

The stores are those of bench/stores.py: every bind on BENCH_DATABASE_URL (default dd_bench on
this machine), documents (keys, conversations, the messages) on BENCH_MONGODB_URI (or
--mongodb-uri) or else an embedded secantusdb started for the run; both are emptied first.
The CPU per message is the worker's and, with the embedded server, the document server's."""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
import psutil  # noqa: E402
import pymongo  # noqa: E402
import requests  # noqa: E402
import websocket  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stores import DocumentStore, create_schema, database_url, store_env  # noqa: E402


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def raise_ulimit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"ulimit -n: {soft} -> {hard}")


def bench_env(instance: str, documents: DocumentStore) -> dict:
    env = {**os.environ, "APP_ENV": "development", "INSTANCE_PATH": instance,
           "SECRET_KEY": "bench-secret-key-not-for-production", "RATELIMIT_ENABLED": "false",
           "LOG_LEVEL": "WARNING", "CHAT_RATE_PER_SECOND": "100", "CHAT_RATE_BURST": "200",
           "PYTHONPATH": str(ROOT), "BENCH_WORKER_GC": f"{instance}/worker-gc"}
    return store_env(env, database_url(), documents.uri)


def make_users(instance: str, documents: DocumentStore, count: int) -> list[tuple[int, str]]:
    """Users and API tokens written straight into the database the worker will read; the
    stores emptied first, the collections and indexes made before serving."""
    env = bench_env(instance, documents)
    for name in set(os.environ) - set(env):
        del os.environ[name]
    os.environ.update(env)
    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.services.accounts import issue_token

    app = create_app()
    create_schema(app, fresh=True, documents=documents)
    with app.app_context():
        users = [User(username=f"bench{i}", email=f"bench{i}@example.com", email_key=f"bench{i}@example.com",
                      display_name=f"Bench {i}", password_hash="!", bio="") for i in range(count)]
        db.session.add_all(users)
        db.session.flush()
        tokens = [(u.id, issue_token(u)) for u in users]
        db.session.commit()
        for engine in db.engines.values():
            engine.dispose()
    return tokens


def start(args: list[str], env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "bench/gunicorn_bench.py"),
                                "-b", f"127.0.0.1:{port}", *args], cwd=str(ROOT), env=env)
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"server on {port} did not start")


def worker_rss_kb(master: subprocess.Popen) -> int:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_cpu_seconds(master: subprocess.Popen) -> float:
    """User + system CPU time of the (one) worker so far."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    fields = Path(f"/proc/{children[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_gc(instance: str) -> tuple[int, float]:
    """The worker's full garbage collections so far and the longest of them, in seconds
    (gunicorn_bench.py)."""
    try:
        collections, longest = Path(f"{instance}/worker-gc").read_text().split()
    except (OSError, ValueError):
        return 0, float("nan")
    return int(collections), float(longest)


def stored_messages(documents: DocumentStore) -> int:
    """Chat messages in the document store."""
    client = pymongo.MongoClient(documents.uri, serverSelectionTimeoutMS=10000)
    try:
        return client.get_default_database()["chat_messages"].estimated_document_count()
    finally:
        client.close()


def documents_cpu_seconds(documents: DocumentStore) -> float:
    """User + system CPU time of the embedded document server so far (nan for another server)."""
    if documents.pid is None:
        return float("nan")
    try:
        times = psutil.Process(documents.pid).cpu_times()
    except psutil.Error:
        return float("nan")
    return times.user + times.system


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_until_quiet(master: subprocess.Popen, limit: float) -> float:
    """Seconds until the worker's CPU use falls under 20 % over a second (it greets each new
    connection after the handshake), at most `limit`."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = worker_cpu_seconds(master)
        time.sleep(1)
        if worker_cpu_seconds(master) - before < 0.2:
            break
    return time.perf_counter() - started


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


class Client:
    def __init__(self, base: str, ws_url: str, user_id: int, token: str) -> None:
        self.user_id, self.token, self.base, self.ws_url = user_id, token, base, ws_url
        self.ws = None
        self.conversation = None
        self.lost = ""  # why this client's websocket failed or closed before the end

    def setup(self, peer_id: int | None) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        key = base64.b64encode(os.urandom(32)).decode()
        requests.put(f"{self.base}/api/chat/keys", json={"public_key": key}, headers=headers, timeout=30)
        if peer_id:
            reply = requests.post(f"{self.base}/api/chat/conversations", json={"member_ids": [peer_id]},
                                  headers=headers, timeout=30)
            self.conversation = reply.json()["conversation"]["id"]

    def connect(self) -> bool:
        try:
            reply = requests.post(f"{self.base}/api/chat/ticket", headers={"Authorization": f"Bearer {self.token}"},
                                  timeout=60)
            reply.raise_for_status()
            ticket = reply.json()["ticket"]
            self.ws = websocket.create_connection(f"{self.ws_url}?ticket={ticket}", origin=self.base, timeout=60)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            self.lost = f"connect: {exc!r}"[:200]
            return False
        return True

    def read(self, latencies: list[float], recording: list[bool]) -> None:
        while True:
            try:
                frame = json.loads(self.ws.recv())
            except Exception as exc:  # noqa: BLE001 - socket closed (at the end, or by the server)
                self.lost = self.lost or f"closed: {exc!r}"[:200]
                return
            data = frame.get("data", {})
            if frame.get("event") == "message" and data.get("sender_id") != self.user_id and recording[0]:
                sent = float(data["client_msg_id"].split("-")[0])
                latencies.append((time.perf_counter() - sent) * 1000)


def run_chat(args, instance: str, documents: DocumentStore) -> dict:
    tokens = make_users(instance, documents, args.connections)
    port = args.port
    base, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/chat/ws"
    note(f"{len(tokens)} users and tokens made")
    server = start(["wsgi:app"], bench_env(instance, documents), port)
    try:
        clients = [Client(base, ws_url, uid, tok) for uid, tok in tokens]
        pool = gevent.pool.Pool(50)
        for i, client in enumerate(clients):
            pool.spawn(client.setup, clients[i + 1].user_id if i % 2 == 0 and i + 1 < len(clients) else None)
        pool.join()
        note("keys registered and conversations opened")
        for i in range(1, len(clients), 2):
            clients[i].conversation = clients[i - 1].conversation
        time.sleep(1)
        rss_before = worker_rss_kb(server)
        started = time.perf_counter()
        latencies: list[float] = []
        recording = [False]
        readers = []

        def connect_and_read(client):
            # Reading from the start also answers the server's pings (simple-websocket
            # closes a connection whose pongs stop, with 1008).
            if client.connect():
                readers.append(gevent.spawn(client.read, latencies, recording))

        pool = gevent.pool.Pool(200)
        for client in clients:
            pool.spawn(connect_and_read, client)
        pool.join()
        connect_seconds = time.perf_counter() - started
        note(f"websockets connected in {connect_seconds:.1f}s; waiting for the worker to finish greeting them")
        greet_seconds = wait_until_quiet(server, 600)
        note(f"worker quiet after {greet_seconds:.1f}s more; idling {args.idle:.0f}s")
        idle_cpu = worker_cpu_seconds(server)
        time.sleep(args.idle)
        idle_cpu = 100 * (worker_cpu_seconds(server) - idle_cpu) / max(args.idle, 0.001)
        rss_idle = worker_rss_kb(server)
        held = sum(1 for c in clients if c.ws is not None and c.ws.connected and not c.lost)
        lost = [c.lost for c in clients if c.lost]
        note(f"{held} websockets held after idling")
        recording[0] = True
        note("sending")
        stored_before, gc_before = stored_messages(documents), worker_gc(instance)
        cpu_worker, cpu_client, wall = worker_cpu_seconds(server), own_cpu_seconds(), time.perf_counter()
        cpu_documents = documents_cpu_seconds(documents)
        sent = send_at_rate(clients, args.rate, args.duration)
        time.sleep(2)
        recording[0] = False
        time.sleep(0.6)  # the worker writes its garbage collections twice a second
        wall = time.perf_counter() - wall
        cpu_worker = worker_cpu_seconds(server) - cpu_worker
        cpu_documents = documents_cpu_seconds(documents) - cpu_documents
        cpu_client = own_cpu_seconds() - cpu_client
        rss_busy = worker_rss_kb(server)
        gc_after = worker_gc(instance)
        # Per message figures divide by the messages stored in the window (counted in the
        # document store): a saturated worker stores more than it delivers.
        stored = stored_messages(documents) - stored_before
        per = max(stored, 1)
        for c in clients:
            if c.ws:
                c.ws.shutdown()  # no closing handshake: a saturated worker would answer late
        gevent.killall(readers, timeout=2)
        failures = {kind: [why for why in lost if why.startswith(kind)] for kind in ("connect", "closed")}
        return {"held": held, "lost": failures, "connect_seconds": connect_seconds, "greet_seconds": greet_seconds, "idle_cpu": idle_cpu, "sent": sent, "received": len(latencies),
                "rate": len(latencies) / args.duration, "p50": percentile(latencies, 0.5),
                "p99": percentile(latencies, 0.99), "rss_before_kb": rss_before, "rss_idle_kb": rss_idle,
                "rss_busy_kb": rss_busy, "per_conn_kb": (rss_idle - rss_before) / max(held, 1),
                "worker_cpu": 100 * cpu_worker / wall, "client_cpu": 100 * cpu_client / wall,
                "stored": stored, "cpu_ms_per_msg": 1000 * cpu_worker / per,
                "documents_cpu_ms_per_msg": 1000 * cpu_documents / per,
                "documents_cpu": 100 * cpu_documents / wall,
                "gc_full": gc_after[0] - gc_before[0], "gc_longest_ms": 1000 * gc_after[1]}
    finally:
        stop(server)


def send_at_rate(clients, rate: int, duration: float) -> int:
    pairs = [c for c in clients if c.ws and c.conversation]
    interval, sent = 1.0 / rate, 0
    start = time.perf_counter()
    nonce = base64.b64encode(os.urandom(24)).decode()
    ciphertext = base64.b64encode(os.urandom(96)).decode()
    while time.perf_counter() - start < duration:
        due = start + sent * interval
        delay = due - time.perf_counter()
        if delay > 0:
            gevent.sleep(delay)
        client = random.choice(pairs)
        frame = {"event": "send_message", "data": {"conversation_id": client.conversation, "epoch": 0,
                 "client_msg_id": f"{time.perf_counter():.6f}-{sent}", "nonce": nonce, "ciphertext": ciphertext}}
        try:
            client.ws.send(json.dumps(frame))
        except Exception:  # noqa: BLE001
            pass
        sent += 1
    return sent


def run_echo(args) -> dict:
    port = args.port + 1
    env = {key: value for key, value in os.environ.items() if key != "BENCH_WORKER_GC"}
    server = start(["bench.echo_app:app"], {**env, "PYTHONPATH": str(ROOT)}, port)
    try:
        rss_before = worker_rss_kb(server)
        sockets = []
        pool = gevent.pool.Pool(200)

        latencies: list[float] = []
        readers = []

        def read(ws):
            while True:
                try:
                    sent = float(ws.recv())
                except Exception:  # noqa: BLE001
                    return
                latencies.append((time.perf_counter() - sent) * 1000)

        def connect():
            ws = websocket.create_connection(f"ws://127.0.0.1:{port}/echo", timeout=60)
            sockets.append(ws)
            readers.append(gevent.spawn(read, ws))

        for _ in range(args.connections):
            pool.spawn(connect)
        pool.join()
        time.sleep(args.idle)
        rss_idle = worker_rss_kb(server)
        cpu_worker, cpu_client = worker_cpu_seconds(server), own_cpu_seconds()
        start_t, count, interval = time.perf_counter(), 0, 1.0 / args.rate
        while time.perf_counter() - start_t < args.duration:
            delay = start_t + count * interval - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            random.choice(sockets).send(f"{time.perf_counter():.6f}")
            count += 1
        time.sleep(2)
        wall = time.perf_counter() - start_t
        cpu_worker = worker_cpu_seconds(server) - cpu_worker
        cpu_client = own_cpu_seconds() - cpu_client
        for ws in sockets:
            ws.shutdown()
        gevent.killall(readers, timeout=2)
        return {"held": len(sockets), "sent": count, "received": len(latencies), "rate": len(latencies) / args.duration,
                "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                "per_conn_kb": (rss_idle - rss_before) / max(len(sockets), 1), "rss_idle_kb": rss_idle,
                "worker_cpu": 100 * cpu_worker / wall, "client_cpu": 100 * cpu_client / wall,
                "cpu_ms_per_msg": 1000 * cpu_worker / max(len(latencies), 1)}
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=1000, help="messages per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds to hold the idle connections")
    parser.add_argument("--only", choices=("chat", "echo"), help="run one side only")
    parser.add_argument("--mongodb-uri", default="",
                        help="a MongoDB server, as BENCH_MONGODB_URI (default: an embedded secantusdb)")
    args = parser.parse_args()
    if args.mongodb_uri:
        os.environ["BENCH_MONGODB_URI"] = args.mongodb_uri
    raise_ulimit()
    empty = dict.fromkeys(("held", "sent", "received", "rate", "p50", "p99", "rss_idle_kb", "per_conn_kb", "worker_cpu",
                           "cpu_ms_per_msg", "client_cpu", "connect_seconds", "greet_seconds", "idle_cpu",
                           "rss_before_kb", "rss_busy_kb", "documents_cpu_ms_per_msg", "documents_cpu", "stored",
                           "gc_full", "gc_longest_ms"), float("nan"))
    chat = echo = empty
    store = "none"
    if args.only != "echo":
        with tempfile.TemporaryDirectory(prefix="dreamdot-bench-") as instance, DocumentStore() as documents:
            store = documents.name
            chat = run_chat(args, instance, documents)
    if args.only != "chat":
        echo = run_echo(args)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nconnections={args.connections} rate={args.rate}/s duration={args.duration}s (one gevent worker; "
          f"{os.cpu_count()} cores, load average {load})")
    print(f"{'':22}{'chat relay':>14}{'bare echo':>14}")
    rows = [("connections held", "held", "{:.0f}"), ("messages sent", "sent", "{:.0f}"),
            ("messages received", "received", "{:.0f}"), ("messages/s", "rate", "{:.0f}"),
            ("p50 latency ms", "p50", "{:.1f}"), ("p99 latency ms", "p99", "{:.1f}"),
            ("worker RSS idle MB", "rss_idle_kb", "{:.0f}"), ("KB per idle conn", "per_conn_kb", "{:.1f}"),
            ("worker CPU % sending", "worker_cpu", "{:.0f}"), ("worker CPU ms/msg", "cpu_ms_per_msg", "{:.2f}"),
            ("client CPU % sending", "client_cpu", "{:.0f}")]
    for label, key, fmt in rows:
        value_chat = chat[key] / 1024 if key == "rss_idle_kb" else chat[key]
        value_echo = echo[key] / 1024 if key == "rss_idle_kb" else echo[key]
        print(f"{label:22}{fmt.format(value_chat):>14}{fmt.format(value_echo):>14}")
    print(f"chat: documents on {store}; {chat['stored']:.0f} messages stored while sending; per stored message: "
          f"worker CPU {chat['cpu_ms_per_msg']:.2f} ms, document server CPU {chat['documents_cpu_ms_per_msg']:.2f} ms "
          f"(document server {chat['documents_cpu']:.0f} % of a core while sending)")
    print(f"chat: {chat['gc_full']:.0f} full garbage collections in the worker while sending; longest since "
          f"start {chat['gc_longest_ms']:.0f} ms")
    print(f"chat: worker CPU while the connections idled: {chat['idle_cpu']:.1f} %")
    for kind, whys in chat.get("lost", {}).items():
        if whys:
            print(f"chat: {len(whys)} websockets lost ({kind}) before sending; the first: {whys[0]}")
    print(f"chat: connecting took {chat['connect_seconds']:.1f}s, greeting (after the handshakes) "
          f"{chat['greet_seconds']:.1f}s more; worker RSS before connections "
          f"{chat['rss_before_kb'] / 1024:.0f} MB, under load {chat['rss_busy_kb'] / 1024:.0f} MB")


if __name__ == "__main__":
    main()
