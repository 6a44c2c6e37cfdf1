"""Benchmark of the creator's analytics page on PostgreSQL.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dd_bench python bench/analytics.py

The stores are those of bench/stores.py: every bind on BENCH_DATABASE_URL (default dd_bench on
this machine), documents on BENCH_MONGODB_URI or an embedded secantusdb started for the run.
Creates the tables and collections, seeds one creator with 100,000 counted views (as the daily rollups the
page reads) and 10,000 sales in the last 30 days, written as real ledger transactions with
their entries and purchase rows, plus refunds, subscription charges, likes, comments, follow
events and the same amount of activity for 20 other creators, then times the page
(`GET /analytics?days=30`) and the API (`GET /api/analytics/summary`) in-process: server time
from the WSGI call to the last byte, no network. Prints the median, p95 and max of
BENCH_RUNS requests and the SQL statements per request.
Options by environment: BENCH_VIEWS, BENCH_SALES, BENCH_OTHERS, BENCH_RUNS."""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stores import DocumentStore, create_schema, database_url, store_env  # noqa: E402

DB_URL = database_url()
VIEWS = int(os.environ.get("BENCH_VIEWS", "100000"))
SALES = int(os.environ.get("BENCH_SALES", "10000"))
OTHERS = int(os.environ.get("BENCH_OTHERS", "20"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
DAYS = 30
POSTS_PER_CREATOR, ITEMS_PER_CREATOR = 40, 25

os.environ.update({
    "SECRET_KEY": "bench-secret-key-not-for-production", "APP_ENV": "development",
    "INSTANCE_PATH": tempfile.mkdtemp(prefix="dreamdot-bench-"), "LOG_LEVEL": "WARNING",
    "RATELIMIT_ENABLED": "false",
})


def use_stores(mongodb_uri: str) -> None:
    stores = store_env(dict(os.environ), DB_URL, mongodb_uri)
    for name in set(os.environ) - set(stores):
        del os.environ[name]
    os.environ.update(stores)


def _chunks(rows, size=5000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _insert(db, table, rows) -> None:
    for chunk in _chunks(rows):
        db.session.execute(table.insert(), chunk)


def seed_creator(db, creator_id: int, buyers: list[int], rng: random.Random, now: datetime) -> None:
    """Views, posts, likes, comments, follow events, items and ledgered sales of one creator."""
    import sqlalchemy as sa

    from app.models.items import Item
    from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Purchase
    from app.models.social import Comment, DailyStat, FollowEvent, Like, Post
    from app.services.payments.ledger import SYSTEM_FEES, credit_code, earnings_code, ensure_accounts

    today = now.date()
    posts = [{"author_id": creator_id, "body": f"Post {n}", "images": [], "created_at": now - timedelta(days=40)}
             for n in range(POSTS_PER_CREATOR)]
    post_ids = list(db.session.scalars(sa.insert(Post).returning(Post.id), posts))
    items = [{"creator_id": creator_id, "kind": "download", "title": f"Item {n}", "pricing": "one_time",
              "price_cents": 1000, "status": "published", "description": "", "tags": [], "search_text": "",
              "created_at": now - timedelta(days=40), "updated_at": now - timedelta(days=40)}
             for n in range(ITEMS_PER_CREATOR)]
    item_ids = list(db.session.scalars(sa.insert(Item).returning(Item.id), items))

    # 100,000 views spread over the creator's pages and the last 30 days, as daily rollups.
    counts: dict[tuple, int] = {}
    targets = [("post", p) for p in post_ids] + [("item", i) for i in item_ids]
    for _ in range(VIEWS):
        kind, tid = rng.choice(targets)
        key = (kind, tid, today - timedelta(days=rng.randrange(DAYS)))
        counts[key] = counts.get(key, 0) + 1
    _insert(db, DailyStat.__table__, [{"target_type": k, "target_id": t, "day": d, "owner_id": creator_id,
                                       "views": n} for (k, t, d), n in counts.items()])

    # Inside "the last 30 days" as the page counts them: from midnight UTC 29 days ago to now.
    begins = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    window = int((now - begins).total_seconds())

    def when():
        return begins + timedelta(seconds=rng.randrange(window))

    likes = {(rng.choice(post_ids), rng.choice(buyers)) for _ in range(20000)}
    _insert(db, Like.__table__, [{"post_id": p, "user_id": u, "created_at": when()} for p, u in likes])
    _insert(db, Comment.__table__, [{"post_id": rng.choice(post_ids), "author_id": rng.choice(buyers),
                                     "body": "Nice", "created_at": when()} for _ in range(5000)])
    _insert(db, FollowEvent.__table__, [{"follower_id": rng.choice(buyers), "followee_id": creator_id,
                                         "kind": rng.choice(("follow", "follow", "unfollow")), "created_at": when()}
                                        for _ in range(3000)])

    # 10,000 sales through the ledger's tables: a balanced transaction of three entries each.
    codes = [earnings_code(creator_id), SYSTEM_FEES] + [credit_code(b) for b in buyers]
    from sqlalchemy.orm import Session

    with Session(db.engines["items"]) as session:
        ensure_accounts(session, codes)
        session.commit()
    accounts = dict(db.session.execute(sa.select(LedgerAccount.code, LedgerAccount.id)
                                       .where(LedgerAccount.code.in_(codes))).all())
    earn, fees = accounts[earnings_code(creator_id)], accounts[SYSTEM_FEES]
    sales = [(rng.choice(buyers), rng.choice(item_ids), when()) for _ in range(SALES)]
    txs = [{"kind": "purchase", "idempotency_key": f"bench:{creator_id}:{n}", "memo": "", "created_at": at}
           for n, (_, _, at) in enumerate(sales)]
    tx_ids = []
    for chunk in _chunks(txs):
        tx_ids += list(db.session.scalars(sa.insert(LedgerTransaction).returning(LedgerTransaction.id), chunk))
    entries, purchases = [], []
    for tx_id, (buyer, item_id, at) in zip(tx_ids, sales, strict=True):
        entries += [{"transaction_id": tx_id, "account_id": accounts[credit_code(buyer)], "amount_cents": -1000},
                    {"transaction_id": tx_id, "account_id": earn, "amount_cents": 900},
                    {"transaction_id": tx_id, "account_id": fees, "amount_cents": 100}]
        purchases.append({"buyer_id": buyer, "item_id": item_id, "creator_id": creator_id, "price_cents": 1000,
                          "fee_cents": 100, "from_credit_cents": 1000, "from_earnings_cents": 0, "status": "paid",
                          "transaction_id": tx_id, "created_at": at})
    _insert(db, LedgerEntry.__table__, entries)
    _insert(db, Purchase.__table__, purchases)
    total = 900 * len(sales)
    db.session.execute(sa.update(LedgerAccount).where(LedgerAccount.id == earn).values(balance_cents=total))


def prepare():
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.models import User

    app = create_app()
    create_schema(app)
    with app.app_context():
        creator = db.session.scalar(sa.select(User).where(User.username == "benchcreator"))
        if creator is None:
            started = time.perf_counter()
            from app.services.accounts.passwords import hash_password

            pw = hash_password("bench-password-123")
            users = [{"username": name, "email": f"{name}@example.com", "email_key": f"{name}@example.com",
                      "password_hash": pw, "display_name": name, "bio": "", "created_at": datetime.now(UTC),
                      "updated_at": datetime.now(UTC), "password_changed_at": datetime.now(UTC),
                      "is_admin": False}
                     for name in ["benchcreator"] + [f"benchother{n}" for n in range(OTHERS)]
                     + [f"benchfan{n}" for n in range(500)]]
            db.session.execute(sa.insert(User), users)
            ids = dict(db.session.execute(sa.select(User.username, User.id)).all())
            fans = [ids[f"benchfan{n}"] for n in range(500)]
            now, rng = datetime.now(UTC), random.Random(7)
            for name in ["benchcreator"] + [f"benchother{n}" for n in range(OTHERS)]:
                seed_creator(db, ids[name], fans, rng, now)
                db.session.commit()
            print(f"seeded {OTHERS + 1} creators x ({VIEWS:,} views, {SALES:,} sales) in "
                  f"{time.perf_counter() - started:.0f} s")
            with db.engines["social"].connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        creator = db.session.scalar(sa.select(User).where(User.username == "benchcreator"))
        return app, creator.id


def measure(app, client, path: str) -> dict:
    import sqlalchemy as sa

    from app.extensions import db

    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engines = set(db.engines.values())
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", count)
    timings = []
    for run in range(RUNS + 3):
        statements.clear()
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if run >= 3:  # warm-up
            timings.append(elapsed)
    for engine in engines:
        sa.event.remove(engine, "before_cursor_execute", count)
    timings.sort()
    return {"median": statistics.median(timings), "p95": timings[int(len(timings) * 0.95) - 1],
            "max": timings[-1], "statements": len(statements)}


def main() -> None:
    with DocumentStore() as documents:
        use_stores(documents.uri)
        measure_all()


def measure_all() -> None:
    from app.extensions import db
    from app.models import User
    from app.services import accounts

    app, creator_id = prepare()
    app.add_url_rule("/bench/bare", "bench_bare", lambda: "ok")  # the baseline of the same run
    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, creator_id)
        session_id = accounts.start_session(user).id
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = f"{creator_id}:{session_id}"
    with app.app_context():
        from app.services.analytics.ranges import parse_range
        from app.services.analytics.summary import creator_summary

        data = creator_summary(creator_id, parse_range(None, None, days=30))
        print(f"in range: {data['views']['total']:,} views, {data['sales']['total']:,} sales, "
              f"{data['earnings_cents']['total'] / 100:,.2f} USD earned, {data['likes']['total']:,} likes")
    for label, path in (("bare", "/bench/bare"), ("page /analytics?days=30", "/analytics?days=30"),
                        ("page /analytics?days=90", "/analytics?days=90"),
                        ("api /api/analytics/summary", "/api/analytics/summary")):
        r = measure(app, client, path)
        print(f"{label}: median {r['median']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms, "
              f"{r['statements']} SQL statements ({RUNS} runs)")


if __name__ == "__main__":
    main()
