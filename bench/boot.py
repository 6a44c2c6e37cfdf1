"""Boot time: from starting gunicorn (gevent worker, `wsgi:app`) to the first 200 on
/healthz, beside the same for a bare Flask app under the same gunicorn (the baseline of the
same run). Each is started `--runs` times; the median is reported.

    python -m bench.boot --runs 5

The stores are those of bench/stores.py: every bind on BENCH_DATABASE_URL (default dd_bench on
this machine), documents on BENCH_MONGODB_URI or an embedded secantusdb started for the run;
their tables, collections and indexes are made before the first start (not counted). With
BENCH_REDIS_URL the broker is Redis."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BARE = "bench.boot_bare:app"

from bench.stores import DocumentStore, database_url, store_env  # noqa: E402


def env(mongodb_uri: str) -> dict:
    values = {**os.environ, "APP_ENV": "development", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING",
              "SECRET_KEY": "bench-secret-key-not-for-production",
              "INSTANCE_PATH": tempfile.mkdtemp(prefix="dreamdot-boot-")}
    values.pop("REDIS_URL", None)
    if os.environ.get("BENCH_REDIS_URL"):
        values["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return store_env(values, database_url(), mongodb_uri)


def boot_once(target: str, port: int, path: str, environ: dict) -> float:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "-w", "1",
         "-b", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", target],
        cwd=str(ROOT), env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - started < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.01)
        raise SystemExit(f"{target} gave no 200 within 60 s")
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    with DocumentStore() as documents:
        measure(args, documents)


def measure(args, documents: DocumentStore) -> None:
    environ = env(documents.uri)
    # Tables, collections and indexes, as `flask db upgrade` leaves them: not counted.
    subprocess.run([sys.executable, "-c", "from app import create_app; from bench.stores import create_schema;"
                    "create_schema(create_app())"], cwd=str(ROOT), env=environ, check=True)
    app_times = [boot_once("wsgi:app", args.port, "/healthz", environ) for _ in range(args.runs)]
    bare_times = [boot_once(BARE, args.port, "/", environ) for _ in range(args.runs)]
    app_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
    print(f"runs={args.runs}: DreamDot first 200 after {app_s:.2f}s (median; "
          f"min {min(app_times):.2f}s, max {max(app_times):.2f}s); bare Flask {bare_s:.2f}s "
          f"(PostgreSQL, documents on {documents.name})")
    print("RESULT " + json.dumps({"app_s": app_s, "bare_s": bare_s, "runs": args.runs}))


if __name__ == "__main__":
    main()
