"""Test fixtures: one app per test process on its own databases (tests/stores.py), and empty
stores and media folder for every test."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import mongoengine
import pytest
from flask import g, request_started

from app import create_app
from app.documents import DOCUMENTS, prepare_collections
from app.extensions import db, limiter
from config import BINDS, TestingConfig
from tests import stores
from tests.mail import clear_mailbox

# Markers whose tests may skip when their service is absent; DREAMDOT_REQUIRE lists the
# markers that must run (CI sets it, so a missing browser or server fails the run).
REQUIRED = {m for m in os.environ.get("DREAMDOT_REQUIRE", "").split(",") if m}
SERVERS = stores.Servers()


def pytest_configure(config):
    for name, text in {
        "redis": "needs Redis (TEST_REDIS_URL)",
        "browser": "drives a real Chromium (/usr/bin/chromium)",
        "slow": "slower tests",
    }.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    # The servers start once, in the process that runs the tests or, under pytest-xdist, in
    # the main process before its workers (which inherit the addresses).
    if not hasattr(config, "workerinput"):
        SERVERS.start()


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):
        SERVERS.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and REQUIRED:
        required = [m for m in REQUIRED if item.get_closest_marker(m)]
        if required:
            report.outcome = "failed"
            report.longrepr = f"skipped, but DREAMDOT_REQUIRE demands {required}: {report.longrepr}"


def worker_name() -> str:
    """pytest-xdist names its workers gw0, gw1...; a run without it is `main`."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    addresses = stores.provide(worker_name())
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(TestingConfig(instance))
    # Tests run inside one pushed app context, which requests then share; start every
    # request with an empty `g` so the signed-in user and CSRF token of one test client
    # never leak into another client's request.
    request_started.connect(_fresh_request_globals, application)
    with application.app_context():
        db.create_all(bind_key=list(BINDS))
        prepare_collections()
    yield application
    with application.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    mongoengine.disconnect_all()
    stores.release(addresses)


def _fresh_request_globals(sender, **extra) -> None:
    """Flask's `request_started` signal: sent before any of the app's own request hooks."""
    for key in list(g):
        g.pop(key, None)


@pytest.fixture(autouse=True)
def _clean(app):
    """Each test starts from empty stores and runs inside an app context."""
    ctx = app.app_context()
    ctx.push()
    yield
    db.session.remove()
    _empty_databases(app)
    for document in DOCUMENTS:
        document.objects.delete()
    limiter.reset()
    shutil.rmtree(app.config["MEDIA_ROOT"], ignore_errors=True)
    clear_mailbox()
    ctx.pop()


def _empty_databases(app) -> None:
    """Every table of every bind emptied, ids from 1 again: one round trip per database."""
    scripts = app.extensions.setdefault("tests.empty_scripts", {})
    for bind, engine in db.engines.items():
        if bind is None:
            continue
        if bind not in scripts:
            # DELETE, not TRUNCATE: on the few rows of a test it is some twenty times quicker.
            deletes = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadatas[bind].sorted_tables)]
            scripts[bind] = ";\n".join([*deletes, RESTART_USED_SEQUENCES])
        with engine.begin() as connection:
            connection.exec_driver_sql(scripts[bind])


# Ids start at 1 again in every test, as after TRUNCATE ... RESTART IDENTITY.
RESTART_USED_SEQUENCES = (
    "SELECT setval(format('%%I.%%I', schemaname, sequencename)::regclass, 1, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_client(app):
    return app.test_client


HTMX = {"HX-Request": "true"}


@pytest.fixture
def htmx():
    return dict(HTMX)


CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token a page gives this client (from the body's hx-headers)."""
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, user, *, remember: bool = False) -> None:
    """Sign a test client in as `user` with a real server-side session row."""
    from app.services import accounts

    auth = accounts.start_session(user, kind="web", remember=remember)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{auth.id}"
        session["_fresh"] = True


@pytest.fixture
def user(app):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def auth_client(app, user):
    client = app.test_client()
    sign_in(client, user)
    client.user = user
    return client


def bearer(app, user) -> dict:
    from app.services import accounts

    token = accounts.issue_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def image_bytes():
    from tests.factories import make_image

    return make_image


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return Path(__file__).parent / "data"


@pytest.fixture
def make_app(app, tmp_path, monkeypatch):
    """Build another app for one test (production settings, proxy hops, ImageKit...). The
    session app's MongoDB connection and limiter state are put back afterwards."""
    from app.services.stores import connect_mongo

    monkeypatch.setenv("INSTANCE_PATH", app.instance_path)  # TestingConfig overwrites it
    saved_limiter = dict(vars(limiter))
    built = []

    def build(config=None, **overrides):
        config = config or TestingConfig(tmp_path / f"app{len(built)}")
        application = create_app(config, **overrides)
        request_started.connect(_fresh_request_globals, application)
        built.append(application)
        with application.app_context():
            db.create_all(bind_key=list(BINDS))
        return application

    yield build
    for other in built:
        other.extensions["dreamdot.broker"].close()  # a Redis broker runs a listener thread
        with other.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
    vars(limiter).clear()
    vars(limiter).update(saved_limiter)
    connect_mongo(app)


def signin_form(client, login: str, password: str, **extra) -> object:
    """POST the sign-in page form (with its CSRF token), as a browser without JS does."""
    token = csrf_token(client, "/signin")
    return client.post("/signin", data={"login": login, "password": password, "csrf_token": token, **extra})
