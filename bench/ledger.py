"""Ledger throughput on PostgreSQL: purchases per second with 50 concurrent buyers, half of
them buying from one hot creator, beside plain single-row inserts into a table of the same
shape as `purchases`, in the same run.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dd_bench python bench/ledger.py

The stores are those of bench/stores.py: every bind on BENCH_DATABASE_URL (default dd_bench on
this machine), documents on BENCH_MONGODB_URI or an embedded secantusdb started for the run;
both are emptied and recreated. Every purchase is the real service call
(`purchase_item`), followed by the commit of the request's session, as a request does: three
statements, each on one bind, whatever the bind layout: the users a block stands between the
buyer and (social bind), the call of the `dd_purchase_item` function on the items bind in
autocommit (the item, the buyer's accounts locked, the entitlement, balanced entries, the
purchase row and the balances, in one transaction), then the creator's sale notification,
written by the request's commit.

The buyers are threads spread over worker processes (`--processes`, like gunicorn workers),
each process with a connection pool per bind of `--pool` connections (like DB_POOL_SIZE),
so a buyer may wait for a connection as a request does. Statements per purchase are counted
by SQLAlchemy (all binds; not counting BEGIN, COMMIT and the pool's ping of idle connections)."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.stores import DocumentStore, create_schema, database_url  # noqa: E402
from config import BINDS, Config  # noqa: E402


def build_app(url: str, mongodb_uri: str, pool_size: int):
    from app import create_app

    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ.update({"INSTANCE_PATH": tempfile.mkdtemp(prefix="dreamdot-bench-"), "LOG_LEVEL": "WARNING"})
    config = Config("development", binds=dict.fromkeys(BINDS, url), mongodb_uri=mongodb_uri)
    pool = {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": 60}
    return create_app(config, SQLALCHEMY_ENGINE_OPTIONS=pool)


def setup(app, documents: DocumentStore, buyers: int, per_buyer: int, hot_every: int = 2):
    from app.extensions import db
    from app.models import User
    from app.models.base import utcnow
    from app.models.items import Item
    from tests.factories.payments import fund

    create_schema(app, fresh=True, documents=documents)
    with app.app_context():
        users = [User(username=f"bench{n}", email=f"bench{n}@example.com", email_key=f"bench{n}@example.com",
                      password_hash="x") for n in range(buyers + buyers // 2 + 1)]
        db.session.add_all(users)
        db.session.commit()
        buyer_ids = [u.id for u in users[:buyers]]
        hot = users[buyers]
        cold = users[buyers + 1:]
        plan = {}
        hot_items = [Item(creator_id=hot.id, kind="download", title=f"Hot {n}", pricing="one_time",
                          price_cents=100, status="published", published_at=utcnow()) for n in range(per_buyer)]
        db.session.add_all(hot_items)
        db.session.commit()
        for n, buyer_id in enumerate(buyer_ids):
            if n % hot_every == 0:
                plan[buyer_id] = ([i.id for i in hot_items], True)
            else:
                creator = cold[n // 2]
                items = [Item(creator_id=creator.id, kind="download", title=f"Cold {n}-{k}", pricing="one_time",
                              price_cents=100, status="published", published_at=utcnow()) for k in range(per_buyer)]
                db.session.add_all(items)
                db.session.commit()
                plan[buyer_id] = ([i.id for i in items], False)
        for user in users[:buyers]:
            fund(user, credit=100 * per_buyer)
        with db.engines["items"].begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS bench_plain_purchases"))
            connection.execute(sa.text("CREATE TABLE bench_plain_purchases (LIKE purchases INCLUDING ALL)"))
    return plan


PLAIN_INSERT = sa.text(
    "INSERT INTO bench_plain_purchases (buyer_id, item_id, creator_id, price_cents, fee_cents, "
    "from_credit_cents, from_earnings_cents, status, created_at) "
    "VALUES (:b, :i, 1, 100, 10, 100, 0, 'paid', now())"
)


def worker(url: str, mongodb_uri: str, mode: str, share: dict, pool: int, barrier, results) -> None:
    """One process (like one gunicorn worker): a thread per buyer of its share."""
    app = build_app(url, mongodb_uri, min(pool, len(share)))
    from app.extensions import db
    from app.services.payments.purchases import purchase_item

    statements = [0]

    def count(*_args, **_kwargs):
        statements[0] += 1

    def buy(buyer_id, item_ids):
        for item_id in item_ids:
            purchase_item(buyer_id, item_id)
            db.session.commit()  # the request's unit of work: the sale notification
            db.session.remove()

    def insert(buyer_id, item_ids):
        engine = db.engines["items"]
        for item_id in item_ids:
            with engine.begin() as connection:
                connection.execute(PLAIN_INSERT, {"b": buyer_id, "i": item_id})

    fn = buy if mode == "purchase" else insert
    finished = {}
    ready = threading.Barrier(len(share) + 1)

    errors = []

    def runner(buyer_id, item_ids):
        with app.app_context():
            ready.wait()
            try:
                fn(buyer_id, item_ids)
            except Exception as exc:  # noqa: BLE001 - reported, and the run is void
                errors.append(repr(exc)[:300])
            finished[buyer_id] = time.monotonic()

    with app.app_context():
        for engine in db.engines.values():
            sa.event.listen(engine, "before_cursor_execute", count)
    threads = [threading.Thread(target=runner, args=(b, ids)) for b, ids in share.items()]
    for t in threads:
        t.start()
    barrier.wait()  # every process is set up: go
    start = time.monotonic()
    cpu = time.process_time()
    ready.wait()
    for t in threads:
        t.join()
    results.put((start, finished, statements[0], time.process_time() - cpu, errors))


def run(url: str, mongodb_uri: str, mode: str, plan: dict, processes: int, pool: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    buyers = list(plan)
    shares = [{b: plan[b][0] for b in buyers[n::processes]} for n in range(processes)]
    procs = [ctx.Process(target=worker, args=(url, mongodb_uri, mode, share, pool, barrier, results))
             for share in shares]
    for p in procs:
        p.start()
    outcomes = [results.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [e for o in outcomes for e in o[4]]
    if errors:
        sys.exit(f"{len(errors)} buyers failed ({mode}), the run is void: {errors[0]}")
    start = min(o[0] for o in outcomes)
    finished = {b: t for o in outcomes for b, t in o[1].items()}
    total = sum(len(ids) for ids, _ in plan.values())
    end = max(finished.values())
    figures = {"count": total, "seconds": end - start, "per_second": total / (end - start),
               "statements": sum(o[2] for o in outcomes) / total,
               "client_cpu_ms": 1000 * sum(o[3] for o in outcomes) / total,
               # How busy the client processes were (one core each at most, with the GIL): far
               # below 100% means the buyers' processes were not what limited the rate.
               "client_busy": sum(o[3] for o in outcomes) / (processes * (end - start))}
    hot = [b for b in plan if plan[b][1]]
    if mode == "purchase" and hot:
        hot_n = sum(len(plan[b][0]) for b in hot)
        hot_end = max(finished[b] for b in hot)
        figures.update(hot_count=hot_n, hot_seconds=hot_end - start, hot_per_second=hot_n / (hot_end - start))
    return figures


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--per-buyer", type=int, default=40, help="purchases per buyer")
    parser.add_argument("--all-hot", action="store_true", help="every buyer buys from the hot creator")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                        help="worker processes sharing the buyers (like gunicorn workers); default one per core")
    parser.add_argument("--pool", type=int, default=6,
                        help="connections per bind and process (like DB_POOL_SIZE)")
    args = parser.parse_args()
    with DocumentStore() as documents:
        measure(args, database_url(), documents)


def measure(args, url: str, documents: DocumentStore) -> None:
    app = build_app(url, documents.uri, 2)
    plan = setup(app, documents, args.buyers, args.per_buyer, 1 if args.all_hot else 2)
    with app.app_context():
        from app.extensions import db

        for engine in db.engines.values():
            engine.dispose()
    load_before = load_average()
    purchases = run(url, documents.uri, "purchase", plan, args.processes, args.pool)
    plain = run(url, documents.uri, "insert", plan, args.processes, args.pool)
    with app.app_context():
        from app.services.payments.ledger import read_session, verify_ledger

        with read_session() as session:
            problems = verify_ledger(session)
        with db.engines["items"].begin() as connection:  # it holds the purchases sequence: other
            connection.execute(sa.text("DROP TABLE IF EXISTS bench_plain_purchases"))  # benches drop_all
    print(f"buyers: {args.buyers} ({'all' if args.all_hot else 'half'} on one hot creator) in {args.processes} "
          f"processes, {args.pool} connections per bind and process; purchases per buyer: {args.per_buyer}; "
          f"load average before/after: {load_before} / {load_average()}; documents on {documents.name}")
    print(f"purchases: {purchases['count']} in {purchases['seconds']:.2f}s = {purchases['per_second']:.0f}/s; "
          f"{purchases['statements']:.1f} statements and {purchases['client_cpu_ms']:.2f} ms of client CPU per purchase; "
          f"client processes {100 * purchases['client_busy']:.0f}% busy")
    print(f"hot creator: {purchases['hot_count']} in {purchases['hot_seconds']:.2f}s = "
          f"{purchases['hot_per_second']:.0f}/s")
    print(f"plain inserts (same shape, one per transaction): {plain['count']} in {plain['seconds']:.2f}s = "
          f"{plain['per_second']:.0f}/s; {plain['client_cpu_ms']:.2f} ms of client CPU per insert")
    print(f"purchases / plain inserts: {purchases['per_second'] / plain['per_second']:.3f}")
    print(f"ledger verify: {'ok' if not problems else problems[:5]}")


if __name__ == "__main__":
    main()
