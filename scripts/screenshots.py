"""Screenshots of DreamDot's main pages, for a person to judge the look (`make screenshots`).

    python scripts/screenshots.py                  start the app on make run's embedded stores
                                                   with the demo data, shoot, stop it
    python scripts/screenshots.py --url URL        shoot an app already running at URL (its demo
                                                   user must be an admin for the admin page)

Every page at 1280 and 390 px wide, signed out and signed in as the demo user, with
JavaScript on (`--javascript off` or `both` for the no-script pages), full height, into
build/screenshots/ (git-ignored). The app it starts keeps its data in build/screenshots-instance/
so that the next run skips the seeding; `rm -rf build` starts afresh. Chromium is Debian's
/usr/bin/chromium (never downloaded). Not part of the test suite or CI."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
DEMO_USER, DEMO_PASSWORD = "demo", "dreamdot-demo-pass"
OTHER_USER = "demo1"
WIDTHS = {"desktop": 1280, "phone": 390}
KINDS = ("download", "writing", "art", "comic")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own local app
        return response.read().decode()


def wait_until_up(base: str, launcher: subprocess.Popen, seconds: int = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if launcher.poll() is not None:
            sys.exit(f"the app stopped (exit {launcher.returncode}); see {ROOT / 'build/screenshots.log'}")
        try:
            get(base + "/healthz")
            return
        except OSError:
            time.sleep(1)
    sys.exit(f"the app did not answer on {base} within {seconds} s")


def start_app(instance: Path, port: int) -> subprocess.Popen:
    """make run's launcher: the embedded stores, migrations, the demo data on the first start,
    gunicorn. The demo user is made an admin (through the same stores) for the admin page."""
    env = {**os.environ, "PORT": str(port), "INSTANCE_PATH": str(instance)}
    log = (ROOT / "build/screenshots.log").open("ab")
    launcher = subprocess.Popen([sys.executable, "-m", "devstores", "run"], cwd=ROOT, env=env,  # noqa: S603
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until_up(f"http://127.0.0.1:{port}", launcher)
    subprocess.run([sys.executable, "-m", "devstores", "exec", "--", "flask", "admin", "create", DEMO_USER],  # noqa: S603
                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    return launcher


def stop_app(launcher: subprocess.Popen) -> None:
    launcher.send_signal(signal.SIGTERM)  # the launcher stops gunicorn, then its servers
    try:
        launcher.wait(timeout=60)
    except subprocess.TimeoutExpired:
        launcher.kill()


def first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1) if match else None


def discover(base: str) -> dict[str, str]:
    """The pages to shoot, found through the JSON API and the public pages."""
    pages = {"landing": "/", "signin": "/signin", "signup": "/signup", "explore": "/explore",
             "profile": f"/u/{OTHER_USER}", "market": "/market", "communities": "/communities"}
    for kind in KINDS:
        items = json.loads(get(f"{base}/api/items?kind={kind}&limit=1"))["items"]
        if items:
            pages[f"item-{kind}"] = f"/items/{items[0]['id']}"
            if kind == "writing":
                pages["item-writing-read"] = f"/items/{items[0]['id']}/read"
    slug = first(r'href="/communities/(?!new\b)([a-z0-9-]+)"', get(base + "/communities"))
    if slug:
        pages["community"] = f"/communities/{slug}"
        thread = first(rf'href="(/communities/{slug}/posts/\d+)"', get(f"{base}/communities/{slug}"))
        if thread:
            pages["thread"] = thread
    return pages


SIGNED_IN_ONLY = {"home": "/", "notifications": "/notifications", "chat": "/chat", "wallet": "/wallet",
                  "analytics": "/analytics", "settings": "/settings/profile", "shop-settings": "/settings/shop",
                  "new-item": "/items/new", "admin": "/admin", "admin-payouts": "/admin/payouts"}
SIGNED_OUT_ONLY = {"landing", "signin", "signup"}


def sign_in(page) -> None:
    page.goto("/signin")
    page.fill("input[name='login']", DEMO_USER)
    page.fill("input[name='password']", DEMO_PASSWORD)
    page.click("form#signin-form button[type='submit']")
    page.wait_for_url(lambda url: "/signin" not in url)


def shoot(base: str, out: Path, javascript: list[bool]) -> list[Path]:
    public = discover(base)
    signed_in = {**{k: v for k, v in public.items() if k not in SIGNED_OUT_ONLY}, **SIGNED_IN_ONLY}
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for js in javascript:
            for device, width in WIDTHS.items():
                for who, pages in (("signed-out", public), ("signed-in", signed_in)):
                    context = browser.new_context(base_url=base, java_script_enabled=js,
                                                  viewport={"width": width, "height": 900})
                    page = context.new_page()
                    if who == "signed-in":
                        sign_in(page)
                    for name, path in pages.items():
                        page.goto(path, wait_until="load")
                        target = out / f"{device}-{who}-{'js' if js else 'nojs'}-{name}.png"
                        page.screenshot(path=str(target), full_page=True)
                        saved.append(target)
                    context.close()
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an app already running (else one is started on embedded stores)")
    parser.add_argument("--out", default=str(ROOT / "build/screenshots"), help="where the PNGs go")
    parser.add_argument("--javascript", choices=("on", "off", "both"), default="on")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    javascript = {"on": [True], "off": [False], "both": [True, False]}[args.javascript]
    launcher = None
    base = args.url.rstrip("/") if args.url else None
    if base is None:
        port = free_port()
        launcher = start_app(ROOT / "build/screenshots-instance", port)
        base = f"http://127.0.0.1:{port}"
    try:
        saved = shoot(base, out, javascript)
    finally:
        if launcher is not None:
            stop_app(launcher)
    print(f"{len(saved)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
