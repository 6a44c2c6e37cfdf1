"""DreamDot on this machine with real stores, started and stopped together.

    python -m devstores run              `make run`: the stores, migrations, the demo data on
                                         the very first start only, then gunicorn
    python -m devstores exec -- CMD ...  CMD (say `flask seed`) with the stores' addresses

Without DATABASE_URL / DATABASE_URL_<BIND> an embedded PostgreSQL runs with its data in
instance/postgres, holding one database per bind; without MONGODB_URI a secantusdb server runs
with its data in instance/documents; without SMTP_URL (or a mail add-on's variables) a local SMTP
server keeps every mail in the Maildir instance/mail/maildir, which the app shows at /dev/mail.
Whatever is named in the environment is used instead and nothing embedded starts for it. Ctrl-C (or SIGTERM) stops gunicorn first, then the servers this
launcher started; the next start finds the same data."""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from config import mail_settings
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
BINDS = ("users", "social", "items", "community", "audit")
SERVE = ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
DEMO_PASSWORD = "dreamdot-demo-pass"  # noqa: S105 - the documented demo password
PR_SET_PDEATHSIG = 1  # prctl(2)

log = logging.getLogger("devstores")


class Stores:
    """The stores of one launch: their addresses for the app, and the servers to stop."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.env: dict[str, str] = {}
        self.embedded: list[str] = []
        self.first_start = False
        self.postgres: Postgres | None = None
        self.documents: Documents | None = None
        self.mail: MailServer | None = None

    def start(self) -> None:
        if not (os.environ.get("DATABASE_URL") or any(os.environ.get(f"DATABASE_URL_{b.upper()}") for b in BINDS)):
            self.postgres, self.first_start = start_postgres(self.instance / "postgres")
            ensure_databases(self.postgres.url("postgres"), [f"dreamdot_{bind}" for bind in BINDS])
            self.env.update({f"DATABASE_URL_{bind.upper()}": self.postgres.url(f"dreamdot_{bind}") for bind in BINDS})
            self.embedded.append("postgresql")
            log.info("embedded PostgreSQL: %s", self.instance / "postgres")
        if not os.environ.get("MONGODB_URI"):
            self.documents = start_documents(self.instance / "documents")
            self.env["MONGODB_URI"] = self.documents.url("dreamdot")
            self.embedded.append("mongodb")
            log.info("embedded document server (secantusdb) on port %s: %s", self.documents.port,
                     self.instance / "documents")
        if mail_settings() is None:
            self.mail = start_mail(self.instance / "mail")
            self.env["SMTP_URL"] = self.mail.url
            self.env["DEV_MAILBOX"] = str(self.mail.maildir)
            log.info("local mail server on port %s: every mail is kept in %s, shown at /dev/mail",
                     self.mail.port, self.mail.maildir)
        self.env["EMBEDDED_STORES"] = ",".join(self.embedded)

    def stop(self) -> None:
        for server in (self.mail, self.documents, self.postgres):
            if server is not None:
                server.stop()


def _end_with_launcher() -> None:
    """In the child, before it runs: SIGTERM when the launcher dies, even by SIGKILL (Linux)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def run_child(command: list[str], env: dict[str, str]) -> int:
    """Run `command` to its end, in a process group of its own so that a terminal's Ctrl-C
    reaches only the launcher, which passes SIGINT and SIGTERM on as SIGTERM (gunicorn's
    graceful stop: requests under way finish); its exit status comes back."""
    child = subprocess.Popen(command, env=env, cwd=ROOT, process_group=0,  # noqa: S603 - our own commands
                             preexec_fn=_end_with_launcher)  # noqa: PLW1509 - the launcher has no threads

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def app_env(stores: Stores) -> dict[str, str]:
    env = {**os.environ, **stores.env}
    env.setdefault("FLASK_APP", "wsgi")
    env.setdefault("INSTANCE_PATH", str(stores.instance))
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def run(stores: Stores, serve: list[str]) -> int:
    env = app_env(stores)
    if run_child(["flask", "db", "upgrade"], env) != 0:
        return 1
    if stores.first_start and run_child(["flask", "seed", "--password", DEMO_PASSWORD], env) != 0:
        log.error("the demo data could not be written; the app starts without it")
    return run_child(serve, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstores", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    run_parser = sub.add_parser("run", help="stores, migrations, demo data on the first start, gunicorn")
    run_parser.add_argument("serve", nargs="*", help=f"the serving command (default: {' '.join(SERVE)})")
    exec_parser = sub.add_parser("exec", help="run a command with the stores' addresses")
    exec_parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stores = Stores(Path(os.environ.get("INSTANCE_PATH") or ROOT / "instance").resolve())
    # Until the child runs, Ctrl-C must still stop what was started.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        stores.start()
        if args.action == "run":
            return run(stores, args.serve or SERVE)
        return run_child(args.command, app_env(stores))
    except KeyboardInterrupt:
        return 130
    finally:
        stores.stop()


if __name__ == "__main__":
    sys.exit(main())
