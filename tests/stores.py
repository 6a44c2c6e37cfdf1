"""The stores the suite runs on: the same kinds of server as production, always.

PostgreSQL: the server TEST_DATABASE_URL names, else the embedded one of `make run`'s kind
(devstores) with its data in instance/test-stores/postgres. MongoDB protocol: the server
TEST_MONGODB_URI names, else an embedded secantusdb in instance/test-stores/documents. The
servers are started once per run (by pytest's main process, before xdist's workers) and every
test process gets databases of its own: five, one per bind, as `make run` has, and one
MongoDB database. Test processes learn their addresses from DREAMDOT_TEST_* variables, which
config.TestingConfig reads (subprocesses of a test inherit them).

Mail: each test process starts a local SMTP server of its own (aiosmtpd, about a fifth of a
second) keeping what it receives in a Maildir of its own, so a test reads exactly the mails
its own process sent and the per-test cleanup can empty the mailbox (tests/mail.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import pymongo
import sqlalchemy as sa

from config import BINDS
from devstores.servers import (
    Documents,
    MailServer,
    Postgres,
    ensure_databases,
    start_documents,
    start_mail,
    start_postgres,
)

ROOT = Path(__file__).resolve().parents[1]
EMBEDDED = ROOT / "instance" / "test-stores"
PG_SERVER = "DREAMDOT_TEST_PG_SERVER"
MONGO_SERVER = "DREAMDOT_TEST_MONGO_SERVER"
RUN = "DREAMDOT_TEST_RUN"  # the main pytest process's id: names this run's databases
MAIL_FOLDERS = EMBEDDED / "mail"
_mail_servers: dict[str, MailServer] = {}


class Servers:
    """The servers of one test run; stops those it started."""

    def __init__(self) -> None:
        self.started: list[Postgres | Documents] = []

    def start(self) -> None:
        os.environ.setdefault(RUN, str(os.getpid()))
        if PG_SERVER not in os.environ:
            given = os.environ.get("TEST_DATABASE_URL")
            if given:
                os.environ[PG_SERVER] = given
            else:
                postgres, _ = start_postgres(EMBEDDED / "postgres")
                self.started.append(postgres)
                os.environ[PG_SERVER] = postgres.url("dreamdot_test")
        if MONGO_SERVER not in os.environ:
            given = os.environ.get("TEST_MONGODB_URI")
            if given:
                os.environ[MONGO_SERVER] = given
            else:
                documents = start_documents(EMBEDDED / "documents")
                self.started.append(documents)
                os.environ[MONGO_SERVER] = documents.url("dreamdot_test")

        forget_dead_runs()

    def stop(self) -> None:
        for server in reversed(self.started):
            server.stop()


def _run_of(name: str, prefix: str) -> int | None:
    """The run id in a database name `<prefix>_<run>_<worker>...`, if it has one."""
    rest = name[len(prefix) + 1:] if name.startswith(prefix + "_") else ""
    run = rest.split("_", 1)[0]
    return int(run) if run.isdigit() else None


def forget_dead_runs() -> None:
    """Drop the databases of earlier runs whose main process is gone (a run stopped hard
    cannot drop its own), so they do not pile up on the server."""
    server = os.environ[PG_SERVER]
    base = sa.make_url(server).database or "dreamdot_test"
    engine = sa.create_engine(_with_database(server, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for name in connection.scalars(sa.text("SELECT datname FROM pg_database")):
                run = _run_of(name, base)
                if run is not None and not psutil.pid_exists(run):
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()
    mongo = os.environ[MONGO_SERVER]
    prefix = urlsplit(mongo).path.strip("/") or "dreamdot_test"
    client = pymongo.MongoClient(mongo, serverSelectionTimeoutMS=5000)
    try:
        for name in client.list_database_names():
            run = _run_of(name, prefix)
            if run is not None and not psutil.pid_exists(run):
                client.drop_database(name)
    finally:
        client.close()
    for folder in MAIL_FOLDERS.glob("*") if MAIL_FOLDERS.exists() else ():
        run = folder.name.split("_", 1)[0]
        if run.isdigit() and not psutil.pid_exists(int(run)):
            shutil.rmtree(folder, ignore_errors=True)


def _with_database(url: str, name: str) -> str:
    """The same server's database `name`, as a SQLAlchemy URL of the psycopg (3) driver."""
    return sa.make_url(url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def _mongo_with_database(uri: str, name: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def provide(worker: str) -> dict[str, str]:
    """Fresh databases for one test process; their addresses are put in the environment."""
    server = os.environ[PG_SERVER]
    base = sa.make_url(server).database or "dreamdot_test"
    names = {bind: f"{base}_{os.environ[RUN]}_{worker}_{bind}" for bind in BINDS}
    ensure_databases(_with_database(server, "postgres"), list(names.values()), fresh=True)
    addresses = {f"DREAMDOT_TEST_DB_{bind.upper()}": _with_database(server, name) for bind, name in names.items()}
    mongo = os.environ[MONGO_SERVER]
    mongo_name = f"{urlsplit(mongo).path.strip('/') or 'dreamdot_test'}_{os.environ[RUN]}_{worker}"
    addresses["DREAMDOT_TEST_MONGODB_URI"] = _mongo_with_database(mongo, mongo_name)
    client = pymongo.MongoClient(addresses["DREAMDOT_TEST_MONGODB_URI"], serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(mongo_name)
    finally:
        client.close()
    mail = _mail_servers[worker] = start_mail(MAIL_FOLDERS / f"{os.environ[RUN]}_{worker}", shared=False,
                                              end_with_parent=True)
    addresses["DREAMDOT_TEST_SMTP_URL"] = mail.url
    addresses["DREAMDOT_TEST_MAILDIR"] = str(mail.maildir)
    os.environ.update(addresses)
    return addresses


def release(addresses: dict[str, str]) -> None:
    """Drop a test process's databases and stop its mail server when it ends."""
    for worker, mail in list(_mail_servers.items()):
        mail.stop()
        shutil.rmtree(mail.maildir.parent, ignore_errors=True)
        del _mail_servers[worker]
    server = os.environ[PG_SERVER]
    engine = sa.create_engine(_with_database(server, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for bind in BINDS:
                name = sa.make_url(addresses[f"DREAMDOT_TEST_DB_{bind.upper()}"]).database
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()
    client = pymongo.MongoClient(addresses["DREAMDOT_TEST_MONGODB_URI"], serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(urlsplit(addresses["DREAMDOT_TEST_MONGODB_URI"]).path.strip("/"))
    finally:
        client.close()
