"""`make lighthouse`: Lighthouse 12 (scripts/lighthouse/, pinned) with its mobile preset on the
pages a visitor lands on, in Debian's Chromium, and the scores printed beside the goals.

Starts DreamDot as `make run` does (embedded PostgreSQL and secantusdb, demo data) on a
fresh instance directory and a port of its own, signs `demo` in for the home feed, runs
Lighthouse on each page one after the other and prints performance, accessibility, best
practices and SEO. Exits 1 when a page is under a goal: performance 95, the others 100.

    make lighthouse                      # all pages
    python scripts/lighthouse.py --keep  # keep the JSON reports in build/lighthouse/
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "scripts" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run --disable-quic")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
GOALS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
PORT = int(os.environ.get("LIGHTHOUSE_PORT", "5191"))
BASE = f"http://127.0.0.1:{PORT}"
DEMO = ("demo", "dreamdot-demo-pass")


def start_app(instance: Path) -> subprocess.Popen:
    env = {**os.environ, "PORT": str(PORT), "INSTANCE_PATH": str(instance), "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "devstores", "run"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240  # the first start seeds the demo data
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{BASE}/signin", timeout=2).read()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("make run stopped before it served; run it alone to see why") from None
            time.sleep(1)
    stop_app(server)
    raise SystemExit(f"DreamDot did not serve {BASE}/signin within 240 s")


def stop_app(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGINT)
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def session_cookie() -> str:
    """Sign `demo` in through the sign-in form; the session cookie's `name=value`."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{BASE}/signin").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "login": DEMO[0], "password": DEMO[1]}).encode()
    opener.open(f"{BASE}/signin", data=form).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "dreamdot_session" not in cookies:
        raise SystemExit("signing demo in failed")
    return f"dreamdot_session={cookies['dreamdot_session']}"


def first_link(path: str, pattern: str) -> str:
    """The first link on `path` whose address matches `pattern` (an item, a community)."""
    body = urllib.request.urlopen(f"{BASE}{path}", timeout=10).read().decode()
    match = re.search(rf'href="({pattern})"', body)
    if not match:
        raise SystemExit(f"no link matching {pattern} on {path}")
    return match.group(1)


def pages() -> dict[str, tuple[str, bool]]:
    """Name: (path, with demo's session)."""
    return {
        "landing": ("/", False),
        "market": ("/market", False),
        "item": (first_link("/market", r"/items/\d+"), False),
        "profile": ("/u/demo1", False),
        "community": (first_link("/communities", r"/communities/[a-z0-9-]+(?<!/new)"), False),
        "home feed": ("/home", True),
    }


def audit(path: str, cookie: str | None, report: Path) -> dict[str, int]:
    command = [str(LIGHTHOUSE), f"{BASE}{path}", "--quiet", "--output=json", f"--output-path={report}",
               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    categories = json.loads(report.read_text())["categories"]
    return {name: round(categories[name]["score"] * 100) for name in CATEGORIES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the JSON reports in build/lighthouse/")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: make lighthouse runs npm ci in scripts/lighthouse")
    reports = ROOT / "build" / "lighthouse"
    reports.mkdir(parents=True, exist_ok=True)
    instance = Path(tempfile.mkdtemp(prefix="dreamdot-lighthouse-"))
    server = start_app(instance)
    failed = False
    try:
        cookie = session_cookie()
        print(f"{'page':10} {'path':32} " + " ".join(f"{name:>14}" for name in CATEGORIES))
        for name, (path, signed_in) in pages().items():
            scores = audit(path, cookie if signed_in else None, reports / f"{name.replace(' ', '-')}.json")
            short = [name for name, score in scores.items() if score < GOALS[name]]
            failed |= bool(short)
            print(f"{name:10} {path:32} " + " ".join(f"{scores[c]:>14}" for c in CATEGORIES)
                  + (f"   under the goal: {', '.join(short)}" if short else ""))
        print("goals: " + ", ".join(f"{name} {goal}" for name, goal in GOALS.items()) + " (mobile preset)")
    finally:
        stop_app(server)
        shutil.rmtree(instance, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(reports, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
