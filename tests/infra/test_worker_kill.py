"""A gunicorn worker killed (SIGKILL, no clean-up) in the middle of a burst of purchases:
nothing is lost and nothing is duplicated. The master starts a new worker, the clients retry
what failed, every purchase a client saw succeed exists exactly once, and the ledger
balances (`flask ledger verify`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.factories.payments import fund, make_item
from tests.infra.test_two_dynos import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

BUYERS, ITEMS, PRICE = 4, 12, 100


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def purchase(port: int, item_id: int, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/items/{item_id}/purchase", method="POST", data=b"{}",
        headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_a_worker_killed_mid_purchases_loses_and_duplicates_nothing(app):
    from app.models.ledger import Purchase

    seller = UserFactory()
    items = [make_item(seller, price_cents=PRICE, title=f"Thing {n}") for n in range(ITEMS)]
    buyers = [UserFactory() for _ in range(BUYERS)]
    for buyer in buyers:
        fund(buyer, credit=PRICE * ITEMS)
    headers = {buyer.id: bearer(app, buyer) for buyer in buyers}
    item_ids, buyer_ids = [item.id for item in items], [buyer.id for buyer in buyers]
    db.session.commit()

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DREAMDOT_TEST_INSTANCE": app.instance_path,
           "DREAMDOT_TEST_BROKER_PREFIX": f"dreamdot-test-kill-{os.getpid()}-{time.time_ns()}:",
           "SECRET_KEY": app.config["SECRET_KEY"]}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "tests.sse_server:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen_ok: dict[int, list[int]] = {b.id: [] for b in buyers}  # purchase ids the clients saw
    owned: dict[int, set[int]] = {b.id: set() for b in buyers}
    failures: list[str] = []
    try:
        wait_until_serving(port, server)

        def buy_all(buyer_id: int) -> None:
            for item_id in item_ids:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    try:
                        status, body = purchase(port, item_id, headers[buyer_id])
                    except OSError:  # the worker died under this request: retry
                        time.sleep(0.1)
                        continue
                    if status == 201:
                        seen_ok[buyer_id].append(body["purchase"]["id"])
                        owned[buyer_id].add(item_id)
                        break
                    if status == 409 and body["error"]["code"] == "already_owned":
                        owned[buyer_id].add(item_id)  # the first try went through before the kill
                        break
                    if status in (502, 503):
                        time.sleep(0.1)
                        continue
                    failures.append(f"{buyer_id} {item_id}: {status} {body}")
                    break

        threads = [threading.Thread(target=buy_all, args=(b.id,)) for b in buyers]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while sum(map(len, seen_ok.values())) < BUYERS * 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # some purchases done, the others in flight or to come
        victims = worker_pids(server.pid)
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        done_at_kill = sum(map(len, seen_ok.values()))
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "clients still waiting"
        assert 0 < done_at_kill < BUYERS * ITEMS, "the kill was not in the middle of the burst"
        assert worker_pids(server.pid) and not set(worker_pids(server.pid)) & set(victims)  # a new worker
    finally:
        server.send_signal(signal.SIGQUIT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()

    assert not failures
    db.session.remove()
    rows = db.session.execute(sa.select(Purchase.id, Purchase.buyer_id, Purchase.item_id)).all()
    by_pair: dict[tuple[int, int], int] = {}
    for _id, buyer_id, item_id in rows:
        by_pair[(buyer_id, item_id)] = by_pair.get((buyer_id, item_id), 0) + 1
    assert all(count == 1 for count in by_pair.values()), "a purchase was duplicated"
    ids = {row.id for row in rows}
    for buyer_id in buyer_ids:
        assert set(seen_ok[buyer_id]) <= ids, "a purchase the client saw succeed is missing"
        assert owned[buyer_id] == set(item_ids)
        assert {item_id for (b, item_id) in by_pair if b == buyer_id} == owned[buyer_id]
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "ledger ok" in result.output, result.output
