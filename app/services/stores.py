"""Connecting the stores: MongoDB, the PostgreSQL engines' settings, and which of them are
the embedded servers `make run` started (for start-up warnings, /healthz and the admin page)."""

from __future__ import annotations

import time

import mongoengine
import orjson
import sqlalchemy as sa
from gevent import monkey

from config import StoreNotConfigured

MONGO_ALIAS = "default"


def connect_mongo(app) -> str:
    """Connect mongoengine to the server of MONGODB_URI; returns "embedded" when it is the
    MongoDB-protocol server `make run` started (EMBEDDED_STORES), else "server"."""
    mongoengine.disconnect(alias=MONGO_ALIAS)
    uri = app.config.get("MONGODB_URI")
    if not uri:
        raise StoreNotConfigured(
            "MONGODB_URI is not set: set it to a MongoDB server's address, or start DreamDot with "
            "`make run`, which starts an embedded MongoDB-protocol server.")
    mongoengine.connect(
        host=uri, alias=MONGO_ALIAS, tz_aware=True, uuidRepresentation="standard",
        serverSelectionTimeoutMS=app.config.get("MONGODB_TIMEOUT_MS", 3000),
        connectTimeoutMS=app.config.get("MONGODB_TIMEOUT_MS", 3000),
        socketTimeoutMS=app.config.get("MONGODB_SOCKET_TIMEOUT_MS", 10000),
    )
    mode = "embedded" if "mongodb" in app.config.get("EMBEDDED_STORES", ()) else "server"
    app.extensions["dreamdot.mongo_mode"] = mode
    return mode


def mongo_db():
    return mongoengine.get_db(alias=MONGO_ALIAS)


def postgres_engine_options(config) -> dict:
    """Pool and timeout settings for PostgreSQL engines (psycopg 3), all documented settings
    of SQLAlchemy's pool and libpq. A pooled connection idle for a while is tested before it
    is handed out (`install_idle_ping`), so after the server (or the network) comes back the
    app recovers by itself instead of failing once per dead pooled connection.

    - connect_timeout bounds a connect (psycopg applies it in gevent workers too);
    - tcp_user_timeout gives up a connection whose sent data stays unacknowledged (a network
      that drops packets silently), keepalives find a dead peer of an idle connection;
    - statement_timeout and idle_in_transaction_session_timeout are the server's own bounds;
    - psycopg prepares a statement once a connection has run it `prepare_threshold` times
      (its default, 5), unless DB_PREPARED_STATEMENTS is off (a pooler in transaction mode)."""
    connect_args = {
        "connect_timeout": config["DB_CONNECT_TIMEOUT"],
        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
    }
    if config["DB_SOCKET_TIMEOUT"] > 0:
        connect_args["tcp_user_timeout"] = int(config["DB_SOCKET_TIMEOUT"] * 1000)
    if not config["DB_PREPARED_STATEMENTS"]:
        connect_args["prepare_threshold"] = None
    server_settings = []
    if config["DB_STATEMENT_TIMEOUT_MS"] > 0:
        server_settings.append(f"-c statement_timeout={config['DB_STATEMENT_TIMEOUT_MS']}")
    if config["DB_IDLE_IN_TRANSACTION_TIMEOUT_MS"] > 0:
        server_settings.append(
            f"-c idle_in_transaction_session_timeout={config['DB_IDLE_IN_TRANSACTION_TIMEOUT_MS']}")
    if server_settings:
        connect_args["options"] = " ".join(server_settings)
    return {
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_timeout": config["DB_POOL_TIMEOUT"],
        "pool_recycle": 1800,
        "connect_args": connect_args,
        # `rowcount` kept for every statement (an INSERT ... ON CONFLICT DO NOTHING says
        # whether it inserted): psycopg resets it when SQLAlchemy closes a cursor without rows.
        "execution_options": {"preserve_rowcount": True},
        # json/jsonb columns (post images, item tags, audit details) decoded by orjson: the
        # driver decodes every value of every row it reads. Written by the standard library.
        "json_deserializer": orjson.loads,
    }


def engine_binds(config) -> dict[str, dict]:
    """SQLALCHEMY_BINDS in Flask-SQLAlchemy's documented dict form: each bind's URL with the
    engine options above (then SQLALCHEMY_ENGINE_OPTIONS on top; benchmarks use it).
    Flask-SQLAlchemy gives SQLALCHEMY_ENGINE_OPTIONS to the default engine only, and DreamDot
    has binds only. Accepts binds already in that form (an app made from another's config)."""
    options = {**postgres_engine_options(config), **config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    binds = {}
    for bind, value in config["SQLALCHEMY_BINDS"].items():
        url = value["url"] if isinstance(value, dict) else value
        binds[bind] = {**options, "url": url}
    return binds


def bind_url(config, bind: str) -> str:
    """A bind's database URL, whichever form SQLALCHEMY_BINDS holds it in."""
    value = config["SQLALCHEMY_BINDS"][bind]
    return str(value["url"] if isinstance(value, dict) else value)


def configure_engines(app, db) -> None:
    with app.app_context():
        for engine in set(db.engines.values()):
            install_idle_ping(engine, app.config["DB_PING_AFTER_IDLE_SECONDS"])


_USED_AT = "dreamdot.used_at"


def install_idle_ping(engine: sa.Engine, after_seconds: float) -> None:
    """Hand out a pooled connection without a round trip when it was in use a moment ago
    and nothing has arrived on it since; test it (SELECT 1) otherwise. A dead one is
    replaced by a new connection, the request never sees it.

    SQLAlchemy's `pool_pre_ping` tests every checkout: a round trip on every request. Here
    a connection idle for `after_seconds` or more is tested as before; a busier one only
    has its socket looked at, without waiting (one `poll` system call): a connection the
    server closed or reset since its last use (a restart, a failover, a terminated
    backend) has its end-of-file or error waiting there, and is tested and replaced. What
    this cannot see within `after_seconds` is a path that went silent (packets dropped):
    the request's first statement then fails when libpq's tcp_user_timeout gives the
    connection up, answers 503, and SQLAlchemy replaces every connection older than that
    failure. A new connection is
    tested at its first checkout (it may have been made while the server was going away)."""

    @sa.event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        if record is not None and record.info is not None:
            record.info[_USED_AT] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        used_at = record.info.get(_USED_AT)
        if used_at is not None and time.monotonic() - used_at < after_seconds \
                and not _something_arrived(dbapi_connection):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            # The pool discards this connection and hands out a new one instead.
            raise sa.exc.DisconnectionError("the pooled connection was dead")
        record.info[_USED_AT] = time.monotonic()


# The operating system's `select.poll`, also where gevent has patched `select` (a
# zero-timeout poll never blocks, so it needs no cooperative version).
_POLL = monkey.get_original("select", "poll")
_ARRIVED = 0x001 | 0x008 | 0x010 | 0x020  # POLLIN, POLLERR, POLLHUP, POLLNVAL


def _something_arrived(dbapi_connection) -> bool:
    """Whether an idle connection's socket has anything waiting: end-of-file, an error, or
    a message the server sent on its own. On a healthy idle connection there is nothing."""
    try:
        poller = _POLL()
        poller.register(dbapi_connection.fileno(), _ARRIVED)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def store_modes(app) -> dict[str, str]:
    """Where each part lives: each bind and MongoDB on an "embedded" server of `make run`
    (EMBEDDED_STORES) or on a "server" of their own; media, broker and rate limits."""
    embedded = app.config.get("EMBEDDED_STORES", ())
    sql = "embedded" if "postgresql" in embedded else "server"
    storage = app.extensions["dreamdot.storage"].mode
    broker = app.extensions.get("dreamdot.broker_mode", "redis" if app.config.get("REDIS_URL") else "memory")
    return {
        **{f"bind:{key}": sql for key in app.config["SQLALCHEMY_BINDS"]},
        "mongodb": app.extensions.get("dreamdot.mongo_mode", "unknown"),
        "media": storage,
        "broker": broker,
        "rate_limits": "redis" if app.config["RATELIMIT_STORAGE_URI"].startswith("redis") else "memory",
    }


def embedded_warnings(app) -> list[str]:
    """Where each embedded default keeps its data. In production: what a dyno restart would
    wipe or what workers would not share. Elsewhere (`make run`, a local gunicorn): the folders
    on this machine, which outlive a restart."""
    modes = store_modes(app)
    production = app.config["APP_ENV"] == "production"
    instance = app.instance_path
    embedded_binds = [k.split(":", 1)[1] for k, v in modes.items() if k.startswith("bind:") and v == "embedded"]
    warnings = []
    if embedded_binds:
        binds = ", ".join(embedded_binds)
        warnings.append(f"embedded PostgreSQL server under instance/: binds {binds} live on this machine only, "
                        "wiped on a dyno restart." if production else
                        f"embedded PostgreSQL server: binds {binds} are kept in {instance}/postgres across restarts.")
    if modes["mongodb"] == "embedded":
        warnings.append("embedded MongoDB-protocol server (secantusdb) under instance/: documents live on this "
                        "machine only, wiped on a dyno restart." if production else
                        f"embedded MongoDB-protocol server (secantusdb): documents are kept in {instance}/documents "
                        "across restarts.")
    if modes["media"] == "local":
        warnings.append("Media are local files: wiped on a dyno restart." if production else
                        f"Media are local files in {app.config['MEDIA_ROOT']}, kept across restarts.")
    if modes["broker"] == "memory" and app.config["WEB_CONCURRENCY"] > 1:
        warnings.append("In-process broker with several workers: live events do not cross workers.")
    if modes["rate_limits"] == "memory" and app.config["WEB_CONCURRENCY"] > 1:
        warnings.append("Rate limits kept in memory with several workers: each worker counts alone.")
    return warnings
