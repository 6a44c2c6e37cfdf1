"""The stores every benchmark runs on: PostgreSQL and a MongoDB-protocol server, as everywhere.

PostgreSQL: BENCH_DATABASE_URL, default the dd_bench database on this machine (made when
missing); every bind is on it. Documents: BENCH_MONGODB_URI when set, else an embedded
secantusdb (devstores) with its data in instance/bench-stores/documents, started for the
benchmark and stopped at its end (a server left by a benchmark that was killed is joined, and
stopped, by the next one). The benchmarks' MongoDB database is `dreamdot_bench` unless the URI
names one; those that empty the PostgreSQL database empty it too."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/dd_bench"
DOCUMENTS_DIR = ROOT / "instance" / "bench-stores" / "documents"
MONGO_DATABASE = "dreamdot_bench"
BINDS = ("users", "social", "items", "community", "audit")  # config.BINDS, without importing the app


def database_url() -> str:
    """BENCH_DATABASE_URL, or dd_bench on this machine; the database is made when missing."""
    import sqlalchemy as sa

    from devstores.servers import ensure_databases

    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    parsed = sa.make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    ensure_databases(admin, [parsed.database])
    return url


def _with_database(uri: str, name: str) -> str:
    parts = urlsplit(uri)
    if parts.path.strip("/"):
        return uri
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


class DocumentStore:
    """`with DocumentStore() as documents:` documents.uri is the MongoDB URI the app gets."""

    def __init__(self) -> None:
        self.server = None
        self.uri = ""

    def __enter__(self) -> DocumentStore:
        given = os.environ.get("BENCH_MONGODB_URI")
        if given:
            self.uri = _with_database(given, MONGO_DATABASE)
        else:
            from devstores.servers import start_documents

            self.server = start_documents(DOCUMENTS_DIR)
            self.uri = self.server.url(MONGO_DATABASE)
        return self

    def __exit__(self, *_exc) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def name(self) -> str:
        return "secantusdb (embedded)" if self.server is not None else "MongoDB at BENCH_MONGODB_URI"

    @property
    def pid(self) -> int | None:
        """The embedded server's process (None for a server named by BENCH_MONGODB_URI)."""
        return self.server.pid if self.server is not None else None

    def empty(self) -> None:
        """Drop the benchmarks' MongoDB database."""
        import pymongo

        client = pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=10000)
        try:
            client.drop_database(urlsplit(self.uri).path.strip("/"))
        finally:
            client.close()


def store_env(env: dict, database: str, mongodb_uri: str) -> dict:
    """`env` with the app's store addresses: every bind on `database`, documents on
    `mongodb_uri`; per-bind addresses from the caller's environment are left out."""
    env = {key: value for key, value in env.items()
           if key not in {f"DATABASE_URL_{bind.upper()}" for bind in BINDS}}
    env.update({"DATABASE_URL": database, "MONGODB_URI": mongodb_uri})
    return env


def create_schema(app, *, fresh: bool = False, documents: DocumentStore | None = None) -> None:
    """Tables of every bind and the MongoDB collections with their indexes (what `flask db
    upgrade` makes), before anything is served. With `fresh`, both are emptied first."""
    import sqlalchemy as sa

    from app.documents import prepare_collections
    from app.extensions import db
    from config import BINDS as APP_BINDS

    with app.app_context():
        if fresh:
            with db.engines["items"].begin() as connection:  # bench/ledger.py's table uses a sequence of ours
                connection.execute(sa.text("DROP TABLE IF EXISTS bench_plain_purchases"))
            db.drop_all(bind_key=list(APP_BINDS))
            if documents is not None:
                documents.empty()
        db.create_all(bind_key=list(APP_BINDS))
        prepare_collections()
