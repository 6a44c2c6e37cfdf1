"""The decompression attack on image uploads, against ONE gunicorn gevent worker.

    python -m bench.images                      # text only, the issue's PNG, the largest a post accepts
    python -m bench.images --image 6300x6300:P --clients 16 --seconds 20

Each `--image WxH:MODE` is a PNG crafted here: mostly one colour, so a few tens of KB that
decode to W x H pixels (`largest:MODE` is the largest a post accepts; `text`: posts without
images, the same flood of requests with nothing to decode). `--clients` signed-in
clients post 4 such images each through /api/posts/create, again as soon as they have an
answer, for `--seconds`; meanwhile another client asks for /healthz every 100 ms (each ask on
its own, so a slow answer does not hide the next ones) and a bystander posts one ordinary
photo (a 1200x900 JPEG) every second. The worker's memory (RSS) is sampled every 50 ms
(psutil), and its kernel-kept peak (VmHWM) is read at the end. The baseline of the same run
is the idle worker: its RSS and the /healthz latency over `--idle` seconds before the attack.
The worker's log is counted: warning lines and tracebacks. The stores are those of
bench/stores.py: every bind on BENCH_DATABASE_URL (default dd_bench on this machine, emptied),
documents on BENCH_MONGODB_URI or an embedded secantusdb started for the run."""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import http.client  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stores import DocumentStore, create_schema, database_url, store_env  # noqa: E402

IMAGES_PER_POST = 4


def bench_env(instance: str, mongodb_uri: str) -> dict:
    env = {**os.environ, "APP_ENV": "development", "INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT),
           "SECRET_KEY": "bench-secret-key-not-for-production", "RATELIMIT_ENABLED": "false",
           "LOG_LEVEL": "WARNING", "MEDIA_ROOT": f"{instance}/media"}
    env.pop("REDIS_URL", None)
    return store_env(env, database_url(), mongodb_uri)


def make_users(env: dict, documents: DocumentStore, count: int) -> tuple[list[str], dict]:
    """API tokens of `count` users, written into the emptied stores before serving, and the
    app's image-decoding settings."""
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
        users = [User(username=f"img{i}", email=f"img{i}@example.com", email_key=f"img{i}@example.com",
                      display_name=f"Image {i}", password_hash="!", bio="") for i in range(count)]
        db.session.add_all(users)
        db.session.flush()
        tokens = [issue_token(u) for u in users]
        db.session.commit()
        for engine in db.engines.values():
            engine.dispose()
    settings = {k: v for k, v in app.config.items() if k.startswith("IMAGE_DECODE_") or k == "ADMISSION_SLOTS"}
    return tokens, settings


def post_pixel_limit() -> int | None:
    """The most pixels a post image may have, as the app under test says (None: no such limit)."""
    from app.services.media import images

    uses = getattr(images, "USES", None)
    return uses["post"].max_pixels if uses else None


def craft_png(width: int, height: int, mode: str) -> bytes:
    """Mostly one colour, a few marks: tens of KB that decode to width x height pixels."""
    from PIL import Image, ImageDraw

    paper = {"P": 0, "L": 240, "RGB": (240, 240, 230), "RGBA": (240, 240, 230, 255)}[mode]
    ink = {"P": 1, "L": 20, "RGB": (20, 20, 20), "RGBA": (20, 20, 20, 255)}[mode]
    image = Image.new(mode, (width, height), paper)
    if mode == "P":
        image.putpalette([240, 240, 230, 20, 20, 20] + [128] * 762)  # 256 colours: 8 bits a pixel
    draw = ImageDraw.Draw(image)
    for i in range(0, min(width, height), max(1, min(width, height) // 12)):
        draw.rectangle((i, i, i + 40, i + 40), fill=ink)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def photo_jpeg() -> bytes:
    """An ordinary photo-sized upload for the bystander: 1200x900 of gradients."""
    from PIL import Image

    image = Image.linear_gradient("L").resize((1200, 900)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data, content_type in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def request(port: int, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60.0) -> tuple[int | str, float, dict]:
    """(status or the error's name, seconds, headers) of one request on a new connection."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started, dict(response.getheaders())
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__, time.monotonic() - started, {}
    finally:
        connection.close()


def post_images(port: int, token: str, images: list[bytes], content_type: str, timeout: float):
    """A post with `images` (none: text only) through the API."""
    ext = content_type.split("/")[1]
    body, ctype = multipart({"body": "Look at these", "alt_texts": "an image"},
                            [("images", f"image{i}.{ext}", data, content_type) for i, data in enumerate(images)])
    return request(port, "POST", "/api/posts/create", body=body, timeout=timeout,
                   headers={"Authorization": f"Bearer {token}", "Content-Type": ctype})


class Worker:
    """The gunicorn master and its (one) worker's memory."""

    def __init__(self, master: subprocess.Popen) -> None:
        self.master = psutil.Process(master.pid)
        self.pids: set[int] = set()
        self.peak_rss = 0

    def process(self) -> psutil.Process | None:
        children = self.master.children()
        if children:
            self.pids.add(children[0].pid)
        return children[0] if children else None

    def rss(self) -> int:
        worker = self.process()
        try:
            return worker.memory_info().rss if worker else 0
        except psutil.Error:
            return 0

    def hwm_kb(self) -> int:
        """The kernel's record of the worker's largest RSS since it started (VmHWM)."""
        worker = self.process()
        for line in Path(f"/proc/{worker.pid}/status").read_text().splitlines() if worker else []:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0


def start_server(env: dict, port: int, log_path: str) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - the server writes to it until the end
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-w", "1",
         "-b", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "wsgi:app"],
        cwd=str(ROOT), env=env, stdout=log, stderr=log)
    for _ in range(300):
        status, _, _ = request(port, "GET", "/healthz", timeout=5)
        if status == 200:
            return process
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn did not start; its log: {log_path}")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


class Probe:
    """/healthz every 100 ms, each on its own, and the worker's RSS every 50 ms."""

    def __init__(self, port: int, worker: Worker) -> None:
        self.port, self.worker = port, worker
        self.latencies: list[float] = []
        self.failures = Counter()
        self.rss_peak = 0
        self.running = True
        self.greenlets = []

    def ask(self) -> None:
        status, seconds, _ = request(self.port, "GET", "/healthz", timeout=60)
        self.latencies.append(seconds)
        if status != 200:
            self.failures[str(status)] += 1

    def poll(self) -> None:
        tick = time.monotonic()
        while self.running:
            self.greenlets.append(gevent.spawn(self.ask))
            tick += 0.1
            gevent.sleep(max(0.0, tick - time.monotonic()))

    def sample(self) -> None:
        while self.running:
            self.rss_peak = max(self.rss_peak, self.worker.rss())
            gevent.sleep(0.05)

    def __enter__(self):
        self.rss_peak = self.worker.rss()
        self.loops = [gevent.spawn(self.poll), gevent.spawn(self.sample)]
        return self

    def __exit__(self, *_exc) -> None:
        self.running = False
        gevent.joinall(self.loops)
        gevent.joinall(self.greenlets, timeout=65)

    def figures(self) -> dict:
        lat = [s * 1000 for s in self.latencies]
        return {"rss_peak_mb": self.rss_peak / 2**20, "healthz_asked": len(lat),
                "healthz_p50_ms": percentile(lat, 0.5), "healthz_p99_ms": percentile(lat, 0.99),
                "healthz_max_ms": max(lat) if lat else float("nan"),
                "healthz_failed": sum(self.failures.values()),
                "healthz_over_1s": sum(1 for v in lat if v > 1000)}


def attack(port: int, tokens: list[str], bystander: str, image: bytes, seconds: float) -> dict:
    """Every client posts 4 copies of `image` again and again for `seconds`; a bystander
    posts one photo a second."""
    statuses, bystanders, latencies, retry_after = Counter(), Counter(), [], Counter()
    deadline = time.monotonic() + seconds
    photo = photo_jpeg()

    images = [image] * IMAGES_PER_POST if image else []

    def client(token: str) -> None:
        while time.monotonic() < deadline:
            status, took, headers = post_images(port, token, images, "image/png", 120)
            statuses[str(status)] += 1
            if status == 503 and "Retry-After" in headers:
                retry_after[headers["Retry-After"]] += 1
            if isinstance(status, str):
                gevent.sleep(0.1)  # the connection failed: do not spin

    def ordinary() -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            status, took, _ = post_images(port, bystander, [photo], "image/jpeg", 120)
            bystanders[str(status)] += 1
            latencies.append(took * 1000)
            gevent.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    started = time.monotonic()
    greenlets = [gevent.spawn(client, token) for token in tokens] + [gevent.spawn(ordinary)]
    gevent.joinall(greenlets)
    return {"posts": dict(statuses), "retry_after": dict(retry_after), "bystander": dict(bystanders),
            "bystander_p50_ms": percentile(latencies, 0.5), "bystander_max_ms": max(latencies, default=float("nan")),
            "seconds": time.monotonic() - started}


def log_counts(path: str, offset: int) -> tuple[dict, int]:
    text = Path(path).read_bytes()[offset:].decode(errors="replace")
    lines = text.splitlines()
    counts = {"warnings": sum(1 for line in lines if "WARNING" in line),
              "refused": sum(1 for line in lines if "image refused" in line),
              "busy": sum(1 for line in lines if "busy" in line.lower()),
              "tracebacks": sum(1 for line in lines if line.startswith("Traceback")),
              "errors": sum(1 for line in lines if " ERROR " in line or "[ERROR]" in line)}
    return counts, offset + len(text.encode())


def image_spec(spec: str) -> tuple[int, int, str]:
    if spec == "text":
        return 0, 0, "text"
    size, _, mode = spec.partition(":")
    mode = mode or "P"
    if size == "largest":
        limit = post_pixel_limit() or 40_000_000
        side = int(limit ** 0.5)
        return side, limit // side, mode
    width, _, height = size.partition("x")
    return int(width), int(height), mode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", action="append", help="WxH:MODE or largest:MODE (repeatable)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each attack")
    parser.add_argument("--idle", type=float, default=5.0, help="length of the idle baseline")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    with DocumentStore() as documents:
        measure(args, documents)


def measure(args, documents: DocumentStore) -> None:
    instance = tempfile.mkdtemp(prefix="dreamdot-images-")
    env = bench_env(instance, documents.uri)
    (*tokens, bystander), settings = make_users(env, documents, args.clients + 1)
    specs = [image_spec(s) for s in (args.image or ["text", "6300x6300:P", "largest:RGBA"])]
    crafted = [(spec, craft_png(*spec) if spec[2] != "text" else b"") for spec in specs]
    log_path = f"{instance}/gunicorn.log"
    server = start_server(env, args.port, log_path)
    worker = Worker(server)
    results = []
    try:
        post_images(args.port, bystander, [photo_jpeg()], "image/jpeg", 60)  # warm up the image path
        gevent.sleep(1.0)
        _, offset = log_counts(log_path, 0)
        with Probe(args.port, worker) as idle:
            gevent.sleep(args.idle)
        baseline = idle.figures()
        for (width, height, mode), data in crafted:
            with Probe(args.port, worker) as probe:
                outcome = attack(args.port, tokens, bystander, data, args.seconds)
            gevent.sleep(2.0)
            logs, offset = log_counts(log_path, offset)
            after, _, _ = post_images(args.port, bystander, [photo_jpeg()], "image/jpeg", 60)
            label = f"{width}x{height} {mode} PNG" if data else "text only"
            results.append({"image": label, "bytes": len(data), **probe.figures(),
                            **outcome, "log": logs, "rss_after_mb": worker.rss() / 2**20, "post_after": after})
        hwm = worker.hwm_kb() / 1024
        restarted = len(worker.pids) > 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    report(args, documents, settings, baseline, results, hwm, restarted)


def report(args, documents, settings: dict, baseline: dict, results: list[dict], hwm: float,
           restarted: bool) -> None:
    print(f"one gunicorn gevent worker (gunicorn.conf.py), PostgreSQL, documents on {documents.name}; "
          f"{os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("settings: " + (", ".join(f"{k}={v}" for k, v in sorted(settings.items())) or "none for image decoding"))
    print(f"{args.clients} clients each posting {IMAGES_PER_POST} images again and again for {args.seconds:.0f} s; "
          "/healthz every 100 ms; a bystander posts a 1200x900 JPEG every second")
    header = f"{'':28}{'idle':>10}" + "".join(f"{r['image']:>26}" for r in results)
    print(header)

    def row(label: str, key: str, fmt: str = "{:.0f}") -> None:
        cells = [fmt.format(baseline[key]) if key in baseline else "-"]
        cells += [fmt.format(r[key]) for r in results]
        print(f"{label:28}{cells[0]:>10}" + "".join(f"{c:>26}" for c in cells[1:]))

    row("worker RSS peak MB", "rss_peak_mb")
    row("/healthz asked", "healthz_asked")
    row("/healthz p50 ms", "healthz_p50_ms", "{:.1f}")
    row("/healthz p99 ms", "healthz_p99_ms", "{:.1f}")
    row("/healthz max ms", "healthz_max_ms", "{:.1f}")
    row("/healthz over 1 s", "healthz_over_1s")
    row("/healthz not 200", "healthz_failed")
    for r in results:
        print(f"{r['image']} ({r['bytes']:,} bytes): posts answered {dict(sorted(r['posts'].items()))}"
              f"{', Retry-After ' + str(r['retry_after']) if r['retry_after'] else ''}; "
              f"bystander {dict(sorted(r['bystander'].items()))}, p50 {r['bystander_p50_ms']:.0f} ms, "
              f"max {r['bystander_max_ms']:.0f} ms; worker log {r['log']}; 2 s after: RSS {r['rss_after_mb']:.0f} MB, "
              f"a photo post answered {r['post_after']}")
    print(f"worker peak RSS over the whole run (VmHWM): {hwm:.0f} MB; idle {baseline['rss_peak_mb']:.0f} MB"
          f"{'; the worker was restarted during the run' if restarted else ''}")
    print("RESULT " + json.dumps({"settings": settings, "idle": baseline, "attacks": results, "vmhwm_mb": hwm,
                                  "restarted": restarted}))


if __name__ == "__main__":
    main()
