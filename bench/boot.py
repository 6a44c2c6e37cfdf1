"""Boot time: from starting gunicorn (gevent worker, `wsgi:app`) to the first 200 on
/healthz, beside the same for a bare Flask app under the same gunicorn (the baseline of the
same run). Each is started `--runs` times; the median is reported.

    python -m bench.boot --runs 5

With BENCH_DATABASE_URL / BENCH_REDIS_URL the app boots on PostgreSQL / Redis (the schema
must exist: `flask db upgrade`, or one run of another benchmark); else on SQLite files."""

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
BARE = "bench.boot_bare:app"


def env() -> dict:
    values = {**os.environ, "APP_ENV": "development", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING",
              "SECRET_KEY": "bench-secret-key-not-for-production",
              "INSTANCE_PATH": tempfile.mkdtemp(prefix="dreamdot-boot-")}
    for name in ("DATABASE_URL", "REDIS_URL"):
        values.pop(name, None)
    if os.environ.get("BENCH_DATABASE_URL"):
        values["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    if os.environ.get("BENCH_REDIS_URL"):
        values["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    return values


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
    environ = env()
    # The first start creates the SQLite files (when no database is given): not counted.
    if not os.environ.get("BENCH_DATABASE_URL"):
        subprocess.run([sys.executable, "-c", "from app import create_app; from app.extensions import db;"
                        "from config import BINDS; a = create_app(); a.app_context().push();"
                        "db.create_all(bind_key=list(BINDS))"], cwd=str(ROOT), env=environ, check=True)
    app_times = [boot_once("wsgi:app", args.port, "/healthz", environ) for _ in range(args.runs)]
    bare_times = [boot_once(BARE, args.port, "/", environ) for _ in range(args.runs)]
    app_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
    print(f"runs={args.runs}: DreamDot first 200 after {app_s:.2f}s (median; "
          f"min {min(app_times):.2f}s, max {max(app_times):.2f}s); bare Flask {bare_s:.2f}s")
    print("RESULT " + json.dumps({"app_s": app_s, "bare_s": bare_s, "runs": args.runs}))


if __name__ == "__main__":
    main()
