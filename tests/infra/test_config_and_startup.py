"""Configuration from the environment, production settings, start-up warnings, /healthz."""

import logging

import click
import pytest

import config as settings
from app.services.stores import bind_url, embedded_warnings
from config import Config

BINDS = ("users", "social", "items", "community", "audit")


@pytest.fixture
def production_env(app, monkeypatch, tmp_path):
    """Production settings on the suite's own databases (a dyno's add-ons)."""
    for name in ("DATABASE_URL", "REDIS_URL", "IMAGEKIT_PRIVATE_KEY", "STRIPE_SECRET_KEY", "EMBEDDED_STORES",
                 "SESSION_COOKIE_SECURE", "HSTS"):
        monkeypatch.delenv(name, raising=False)
    for bind in BINDS:
        monkeypatch.setenv(f"DATABASE_URL_{bind.upper()}", bind_url(app.config, bind))
    monkeypatch.setenv("MONGODB_URI", app.config["MONGODB_URI"])
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "prod"))
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-from-the-environment")
    return monkeypatch


def test_production_without_secret_key_refuses_to_start(production_env):
    production_env.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set in production"):
        Config()


def test_development_without_secret_key_generates_one_and_warns(monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/dreamdot")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="dreamdot.config"):
        first = Config("development").SECRET_KEY
    assert "SECRET_KEY is not set" in caplog.text
    assert len(first) >= 32
    assert Config("development").SECRET_KEY == first  # kept in instance/, sessions survive restarts
    assert (tmp_path / ".secret_key").stat().st_mode & 0o077 == 0


def test_configuration_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/dd")
    monkeypatch.setenv("DATABASE_URL_AUDIT", "postgres://u:p@audit.example/dd")
    monkeypatch.setenv("MAX_IMAGE_MB", "7")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("RATELIMIT_SIGNIN", "3 per minute")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/0")
    config = Config("development")
    assert config.SQLALCHEMY_BINDS["users"] == "postgresql+psycopg://u:p@db.example/dd"
    assert config.SQLALCHEMY_BINDS["audit"] == "postgresql+psycopg://u:p@audit.example/dd"
    assert config.MAX_IMAGE_BYTES == 7 * 1024 * 1024
    assert (config.WEB_CONCURRENCY, config.PORT) == (3, 8123)
    assert config.RATELIMIT_SIGNIN == "3 per minute"
    assert config.RATELIMIT_STORAGE_URI == "redis://cache.example:6379/0"
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(RuntimeError, match="PORT must be a whole number"):
        Config("development")


def test_without_a_database_the_app_refuses_to_start_and_says_why(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", *(f"DATABASE_URL_{b.upper()}" for b in BINDS)):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(settings.StoreNotConfigured, match="set DATABASE_URL .*`make run`"):
        Config("development")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/dd")
    monkeypatch.setenv("DATABASE_URL_SOCIAL", "postgresql://u:p@social.example/dd")
    binds = Config("development").SQLALCHEMY_BINDS
    assert binds["users"] == binds["audit"] == "postgresql+psycopg://u:p@db.example/dd"
    assert binds["social"] == "postgresql+psycopg://u:p@social.example/dd"
    assert not list(tmp_path.glob("*.db"))  # no database file of any kind is made


def test_without_mongodb_uri_the_app_refuses_to_start_and_says_why(make_app, tmp_path):
    with pytest.raises(settings.StoreNotConfigured, match="MONGODB_URI is not set.*`make run`"):
        make_app(settings.TestingConfig(tmp_path / "no-mongo"), MONGODB_URI=None)


def test_production_app_sends_hsts_and_secure_cookies(make_app, production_env, tmp_path, caplog):
    production_env.setenv("INSTANCE_PATH", str(tmp_path / "prod"))  # after make_app's own setting
    with caplog.at_level(logging.WARNING):
        app = make_app(Config())
    assert app.config["APP_ENV"] == "production" and not app.testing
    assert "EMBEDDED STORE IN PRODUCTION" in caplog.text
    response = app.test_client().get("/signin", base_url="https://dreamdot.example")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("dreamdot_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_make_runs_embedded_servers_are_said_at_start_up_and_on_healthz(make_app, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="dreamdot.startup"):
        dev = make_app(settings.TestingConfig(tmp_path / "dev"), TESTING=False,
                       EMBEDDED_STORES=("postgresql", "mongodb"))
    folder = tmp_path / "dev"
    # A local run says where its data lives, not what a dyno would do with it.
    assert (f"embedded PostgreSQL server: binds users, social, items, community, audit are kept in "
            f"{folder}/postgres across restarts") in caplog.text
    assert f"embedded MongoDB-protocol server (secantusdb): documents are kept in {folder}/documents" in caplog.text
    assert "dyno" not in caplog.text
    report = dev.test_client().get("/healthz").get_json()
    assert report["ok"] is True and report["production"] is False
    assert {report["stores"][f"bind:{b}"] for b in BINDS} == {"embedded"} and report["stores"]["mongodb"] == "embedded"
    assert any("embedded MongoDB-protocol server" in w for w in report["embedded_defaults"])


def test_production_on_embedded_stores_warns_of_the_dyno_restart(make_app, tmp_path):
    app = make_app(settings.TestingConfig(tmp_path / "prod"), APP_ENV="production",
                   EMBEDDED_STORES=("postgresql", "mongodb"))
    with app.app_context():
        warnings = " ".join(embedded_warnings(app))
    assert "binds users, social, items, community, audit live on this machine only, wiped on a dyno restart" in warnings
    assert "documents live on this machine only, wiped on a dyno restart" in warnings
    assert "Media are local files: wiped on a dyno restart." in warnings


def test_the_start_up_lines_are_said_once_by_the_server_not_by_each_command(make_app, tmp_path, caplog):
    """`make run` builds the app for `flask db upgrade` and `flask seed` before gunicorn: inside
    a click command the app says nothing, so the lines appear once."""
    with caplog.at_level(logging.INFO, logger="dreamdot.startup"), click.Context(click.Command("upgrade")):
        make_app(settings.TestingConfig(tmp_path / "cli"), TESTING=False, EMBEDDED_STORES=("postgresql",))
    assert caplog.records == []
    with caplog.at_level(logging.INFO, logger="dreamdot.startup"):
        make_app(settings.TestingConfig(tmp_path / "server"), TESTING=False, EMBEDDED_STORES=("postgresql",))
    assert [r.getMessage().count("embedded PostgreSQL") for r in caplog.records].count(1) == 1


def test_healthz_reports_every_bind_mongodb_and_embedded_defaults(app, client, htmx):
    for headers in ({}, htmx):
        response = client.get("/healthz", headers=headers)
        assert response.status_code == 200
        report = response.get_json()
        assert report["ok"] is True
        assert report["checks"] == {"db:users": "ok", "db:social": "ok", "db:items": "ok",
                                    "db:community": "ok", "db:audit": "ok", "mongodb": "ok"}
        assert {report["stores"][f"bind:{b}"] for b in BINDS} == {"server"}
        assert report["stores"]["mongodb"] == "server" and report["stores"]["media"] == "local"
        warnings = " ".join(report["embedded_defaults"])
        assert "Media are local files" in warnings and "embedded" not in warnings
        assert report["production"] is False


def test_healthz_is_503_when_a_store_is_down(app, client, monkeypatch):
    def down():
        raise ConnectionError("mongo is down")

    monkeypatch.setattr("app.services.health.mongo_db", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["mongodb"] == "unavailable"


def _gunicorn_conf():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "8123")
    module = _gunicorn_conf()
    assert module.workers == 3
    assert module.bind in ("0.0.0.0:8123", ["0.0.0.0:8123"], ":8123")
    assert "gevent" in module.worker_class


def test_each_request_lets_the_other_connections_run_before_the_next():
    """A keep-alive client whose next request is already waiting must not be served again
    before the other connections' greenlets get their turn (gevent does not yield when a
    socket has data): the post_request hook switches to the hub once."""
    import gevent

    ran = []
    gevent.spawn(ran.append, "other connection")
    _gunicorn_conf().post_request(None, None, {}, None)
    assert ran == ["other connection"]


def test_a_worker_leaves_what_it_loaded_out_of_later_collections():
    """After the app is loaded, the worker freezes the objects alive then: a full
    collection no longer walks them (no pause of tens of ms per collection)."""
    import gc

    try:
        _gunicorn_conf().post_worker_init(None)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def _access_line(logger_class, tmp_path, name, access_format=None, **environ_extra):
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", str(tmp_path / name))
    if access_format:
        cfg.set("access_log_format", access_format)
    logger = logger_class(cfg)
    logger.now = lambda: "[02/Dec/2026:13:40:00 +0000]"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/home?cursor=abc", "PATH_INFO": "/home",
               "QUERY_STRING": "cursor=abc", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.1.2.3",
               "HTTP_USER_AGENT": 'Reader "quoted" 1.0', "HTTP_REFERER": "https://dreamdot.test/explore",
               "HTTP_AUTHORIZATION": "Bearer not-basic", **environ_extra}
    response = SimpleNamespace(status="200 OK", sent=5120, headers=[("Content-Type", "text/html"),
                                                                    ("X-Request-ID", "req-42")])
    request = SimpleNamespace(headers=[("HOST", "dreamdot.test"), ("X-REQUEST-ID", "req-42")])
    logger.access(response, request, environ, timedelta(seconds=0, microseconds=12_345))
    for handler in list(logger.access_log.handlers) + list(logger.error_log.handlers):
        handler.close()
        logger.access_log.removeHandler(handler)
        logger.error_log.removeHandler(handler)
    return (tmp_path / name).read_text()


def test_the_access_log_line_is_gunicorns_own(tmp_path):
    """gunicorn.conf.py's AccessLogger builds only what the default format names; the line
    it writes is the one gunicorn's logger writes, escaping included."""
    from gunicorn.glogging import Logger

    ours = _access_line(_gunicorn_conf().AccessLogger, tmp_path, "ours.log")
    theirs = _access_line(Logger, tmp_path, "theirs.log")
    assert ours == theirs
    assert ours.startswith('10.1.2.3 - - [02/Dec/2026:13:40:00 +0000] "GET /home?cursor=abc HTTP/1.1" 200 5120 ')
    assert '\\"quoted\\"' in ours


def test_another_access_log_format_gets_every_atom(tmp_path):
    from gunicorn.glogging import Logger

    custom = '%(h)s %({x-request-id}i)s %({content-type}o)s %(M)s %(U)s'
    ours = _access_line(_gunicorn_conf().AccessLogger, tmp_path, "ours.log", custom)
    theirs = _access_line(Logger, tmp_path, "theirs.log", custom)
    assert ours == theirs == "10.1.2.3 req-42 text/html 12 /home\n"


def test_the_worker_uses_the_access_logger():
    module = _gunicorn_conf()
    assert module.logger_class is module.AccessLogger
    assert module.accesslog == "-"


def test_procfile_has_web_and_release():
    from pathlib import Path

    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    lines = dict(line.split(":", 1) for line in procfile.strip().splitlines())
    assert "gunicorn" in lines["web"] and "gunicorn.conf.py" in lines["web"]
    release = lines["release"].split()
    assert release[0] == "flask" and release[-2:] == ["db", "upgrade"]


def test_every_setting_is_documented_in_env_example():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = (root / "config.py").read_text()
    names = set(re.findall(r'env_(?:str|int|bool)\(\s*"([A-Z0-9_]+)"', source))
    names |= {f"DATABASE_URL_{b.upper()}" for b in ("users", "social", "items", "community", "audit")}
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    assert names - documented == set()


def test_several_workers_on_embedded_broker_and_limits_are_warned(make_app):
    other = make_app(WEB_CONCURRENCY=3)
    warnings = " ".join(other.test_client().get("/healthz").get_json()["embedded_defaults"])
    embedded = not other.config["REDIS_URL"]  # TEST_REDIS_URL puts both on Redis
    assert ("In-process broker with several workers" in warnings) == embedded
    assert ("Rate limits kept in memory with several workers" in warnings) == embedded


def test_mongodb_uri_selects_a_real_server(make_app):
    import mongoengine
    import pymongo

    other = make_app(MONGODB_URI="mongodb://127.0.0.1:9/dreamdot_absent")
    assert other.extensions["dreamdot.mongo_mode"] == "server"
    with other.app_context():
        assert isinstance(mongoengine.get_connection(), pymongo.MongoClient)


@pytest.mark.parametrize("custom", [None, '%(r)s %(q)s %({raw_uri}e)s %({query_string}e)s'])
def test_the_access_log_never_writes_a_ticket_or_token(tmp_path, custom):
    uri = "/chat/ws?ticket=T1cket-secret&x=1&token=T0ken-secret&%74oken=Enc0ded-secret"
    line = _access_line(_gunicorn_conf().AccessLogger, tmp_path, "ours.log", custom,
                        RAW_URI=uri, QUERY_STRING=uri.partition("?")[2], PATH_INFO="/chat/ws")
    assert "secret" not in line
    assert "ticket=[redacted]&x=1&token=[redacted]&%74oken=[redacted]" in line
    if custom is None:
        assert '"GET /chat/ws?ticket=[redacted]&x=1&token=[redacted]&%74oken=[redacted] HTTP/1.1" 200' in line


def test_the_access_log_never_writes_a_token_inside_a_next_link(tmp_path):
    """A signed-out click on a mailed link goes to /signin?next=<the link, token included>:
    that `next` is redacted whole; an ordinary `next` is kept."""
    uri = "/signin?next=%2Fsettings%2Femail%2Fconfirm%3Ftoken%3DMa1led-secret&keep=1"
    line = _access_line(_gunicorn_conf().AccessLogger, tmp_path, "ours.log",
                        RAW_URI=uri, QUERY_STRING=uri.partition("?")[2], PATH_INFO="/signin")
    assert "secret" not in line and '"GET /signin?next=[redacted]&keep=1 HTTP/1.1"' in line
    plain = "/signin?next=%2Fhome%3Fcursor%3Dabc"
    line = _access_line(_gunicorn_conf().AccessLogger, tmp_path, "plain.log",
                        RAW_URI=plain, QUERY_STRING=plain.partition("?")[2], PATH_INFO="/signin")
    assert f'"GET {plain} HTTP/1.1"' in line
