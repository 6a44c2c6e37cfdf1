"""DreamDot configuration, read only from the environment.

Every setting is documented in `.env.example` and the README. `create_app` builds a
`Config` for the environment named by `APP_ENV` (development, production, testing) and
then applies the overrides a test passes in.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent
BINDS = ("users", "social", "items", "community", "audit")
MB = 1024 * 1024

log = logging.getLogger("dreamdot.config")


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a number, got {value!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


class StoreNotConfigured(RuntimeError):
    """A store has no address: `make run` and the tests start embedded servers and give it."""


def normalize_db_url(url: str) -> str:
    """Heroku-style `postgres://` and plain `postgresql://` URLs name the psycopg (3) driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def bind_urls() -> dict[str, str]:
    """Each bind: its own variable, else DATABASE_URL. `make run` (devstores) sets one per
    bind, each naming its own database of the embedded PostgreSQL server."""
    default = env_str("DATABASE_URL")
    urls = {}
    for bind in BINDS:
        url = env_str(f"DATABASE_URL_{bind.upper()}", default)
        if not url:
            raise StoreNotConfigured(
                f"No database for the {bind!r} bind: set DATABASE_URL (or DATABASE_URL_{bind.upper()}), "
                "or start DreamDot with `make run`, which starts an embedded PostgreSQL server.")
        urls[bind] = normalize_db_url(url)
    return urls


def embedded_stores() -> tuple[str, ...]:
    """The stores that `make run` started on this machine (devstores sets EMBEDDED_STORES):
    said loudly at start-up, on /healthz and on the admin page."""
    return tuple(name for name in (env_str("EMBEDDED_STORES", "") or "").split(",") if name)


def _secret_key(env_name: str, instance_dir: Path) -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if env_name == "production":
        raise RuntimeError("SECRET_KEY must be set in production")
    # Development: generate once and keep it in instance/ so sessions survive restarts.
    path = instance_dir / ".secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    log.warning("SECRET_KEY is not set: generated a development key in %s", path)
    return key


SMTP_PORTS = {"smtp": 25, "smtps": 465}
# A dyno's mail add-on sets its own variables: (server, port, login, password) names, and the
# server and port to use when the add-on gives none. STARTTLS on every one of them.
MAIL_ADD_ONS = (
    ("MAILGUN_SMTP_SERVER", "MAILGUN_SMTP_PORT", "MAILGUN_SMTP_LOGIN", "MAILGUN_SMTP_PASSWORD", None, 587),
    (None, None, "SENDGRID_USERNAME", "SENDGRID_PASSWORD", "smtp.sendgrid.net", 587),
)


def mail_settings() -> dict | None:
    """Flask-Mailman's settings from SMTP_URL, else from a mail add-on's variables; None when
    neither is set (password reset and email changes are then off). Never logged: the
    password is in them."""
    url = env_str("SMTP_URL")
    if url:
        return smtp_url_settings(url)
    for server_var, port_var, login_var, password_var, default_server, default_port in MAIL_ADD_ONS:
        server = env_str(server_var) if server_var else default_server
        login, password = env_str(login_var), env_str(password_var)
        if server and login and password:
            port = env_int(port_var, default_port) if port_var else default_port
            return {"MAIL_SERVER": server, "MAIL_PORT": port, "MAIL_USERNAME": login,
                    "MAIL_PASSWORD": password, "MAIL_USE_TLS": True, "MAIL_USE_SSL": False}
    return None


def smtp_url_settings(url: str) -> dict:
    """`smtp://[user:password@]host[:port][?starttls=true]` or `smtps://...` (TLS from the
    first byte, port 465 by default). User and password are percent-decoded."""
    parts = urlsplit(url)
    if parts.scheme not in SMTP_PORTS or not parts.hostname:
        # The URL is not repeated: it may hold a password.
        raise RuntimeError("SMTP_URL must look like smtp://user:password@host:587?starttls=true or smtps://...")
    options = {key.lower(): values[-1] for key, values in parse_qs(parts.query).items()}
    starttls = options.get("starttls", "").strip().lower() in ("1", "true", "yes", "on")
    if parts.scheme == "smtps" and starttls:
        raise RuntimeError("SMTP_URL: smtps:// is TLS already; starttls is for smtp://")
    try:
        port = parts.port or SMTP_PORTS[parts.scheme]
    except ValueError as exc:
        raise RuntimeError("SMTP_URL has a port that is not a number") from exc
    return {
        "MAIL_SERVER": parts.hostname,
        "MAIL_PORT": port,
        "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
        "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
        "MAIL_USE_TLS": starttls,
        "MAIL_USE_SSL": parts.scheme == "smtps",
    }


class Config:
    """Settings for one app instance. Attribute names are Flask config keys."""

    def __init__(self, env_name: str | None = None, *, binds: dict[str, str] | None = None,
                 mongodb_uri: str | None = None) -> None:
        env_name = env_name or env_str("APP_ENV", "development")
        production = env_name == "production"
        instance_dir = Path(env_str("INSTANCE_PATH", str(BASE_DIR / "instance")))
        self.APP_ENV = env_name
        self.TESTING = env_name == "testing"
        self.INSTANCE_PATH = str(instance_dir)
        self.SECRET_KEY = _secret_key(env_name, instance_dir)
        self.LOG_LEVEL = env_str("LOG_LEVEL", "INFO")

        # Databases: five binds, no default engine.
        self.SQLALCHEMY_BINDS = {b: normalize_db_url(u) for b, u in binds.items()} if binds else bind_urls()
        self.SQLALCHEMY_DATABASE_URI = None
        # Which of PostgreSQL and MongoDB are the embedded servers of `make run` (devstores).
        self.EMBEDDED_STORES = embedded_stores()
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False
        self.SQLALCHEMY_RECORD_QUERIES = env_bool("SQLALCHEMY_RECORD_QUERIES", False)
        # PostgreSQL engines, per bind: connections per worker process, how long a request waits for one, how long to
        # wait for the server to answer a connect, and the longest a statement may run.
        self.DB_POOL_SIZE = env_int("DB_POOL_SIZE", 5)
        self.DB_MAX_OVERFLOW = env_int("DB_MAX_OVERFLOW", 10)
        self.DB_POOL_TIMEOUT = env_float("DB_POOL_TIMEOUT", 20.0)
        self.DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
        self.DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 15000)
        # How long data sent to PostgreSQL may stay unacknowledged before the connection is
        # given up (libpq's tcp_user_timeout): a network that drops packets silently gives no
        # error, and statement_timeout cannot help (the server never sees the statement).
        # Seconds; 0: the operating system's default.
        self.DB_SOCKET_TIMEOUT = env_float("DB_SOCKET_TIMEOUT", 20.0)
        # The server ends a session left idle inside a transaction this long (milliseconds;
        # 0: never): a client that vanished mid-transaction releases its locks.
        self.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS = env_int("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 60000)
        # A pooled connection unused this long is tested (SELECT 1) before it is handed out;
        # one used more recently is handed out as it is (seconds; 0: test every time).
        self.DB_PING_AFTER_IDLE_SECONDS = env_float("DB_PING_AFTER_IDLE_SECONDS", 2.0)
        # Requests of one gevent worker that run the app at the same time; the others wait
        # their turn, first come first served, at most ADMISSION_WAIT_MS (then they run
        # anyway). Websockets and streamed bodies hold no slot (app/web/admission.py).
        # Keep it at or under DB_POOL_SIZE; 0: no limit.
        self.ADMISSION_SLOTS = env_int("ADMISSION_SLOTS", 4)
        self.ADMISSION_WAIT_MS = env_int("ADMISSION_WAIT_MS", 500)
        # psycopg prepares a statement on the server once a connection has run it a few
        # times (its prepare_threshold). Off behind a pooler that hands one server connection
        # to many clients per transaction without tracking prepared statements (PgBouncer's
        # transaction mode before 1.21).
        self.DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
        self.MONGODB_URI = mongodb_uri or env_str("MONGODB_URI")
        # How long to wait for a MongoDB server to be found or to connect before 503.
        self.MONGODB_TIMEOUT_MS = env_int("MONGODB_TIMEOUT_MS", 3000)
        # How long one MongoDB operation may wait for its reply (a blackholed connection).
        self.MONGODB_SOCKET_TIMEOUT_MS = env_int("MONGODB_SOCKET_TIMEOUT_MS", 10000)
        self.REDIS_URL = env_str("REDIS_URL")
        # Seconds a Redis call may take (connect, or a reply) before it is given up: Redis
        # unreachable must not hold requests, which go on without it (see docs/operations.md).
        self.REDIS_TIMEOUT_SECONDS = env_float("REDIS_TIMEOUT_SECONDS", 2.0)
        self.BROKER_PREFIX = env_str("BROKER_PREFIX", "dreamdot:")
        # Server-sent events: a comment line at least this often keeps proxies and
        # routers (Heroku closes idle connections after 55 s) from dropping the stream;
        # after SSE_MAX_SECONDS the stream ends and the browser reconnects (re-checking
        # the sign-in and replaying what it missed from Last-Event-ID).
        self.SSE_HEARTBEAT_SECONDS = env_float("SSE_HEARTBEAT_SECONDS", 15.0)
        self.SSE_MAX_SECONDS = env_float("SSE_MAX_SECONDS", 600.0)
        # Streams do not re-authenticate per event: sign-out, password change and suspension
        # end them at once (broadcast); anything else that ends a session (expiry, a row
        # changed by hand, a broadcast lost while Redis was away) within this many seconds.
        self.SSE_AUTH_CHECK_SECONDS = env_float("SSE_AUTH_CHECK_SECONDS", 60.0)

        # Sessions, cookies, tokens.
        self.SESSION_COOKIE_NAME = "dreamdot_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", production)
        self.REMEMBER_DAYS = env_int("REMEMBER_DAYS", 30)
        # A browser that signed in to an account skips that account's failed-sign-in wait.
        self.KNOWN_DEVICE_COOKIE = "dreamdot_device"
        self.KNOWN_DEVICE_DAYS = env_int("KNOWN_DEVICE_DAYS", 365)
        # "Remember me" makes the cookie permanent: it lives as long as its server-side row.
        self.PERMANENT_SESSION_LIFETIME = timedelta(days=self.REMEMBER_DAYS)
        # The cookie is written when something in it changes (sign-in, the CSRF secret), not
        # re-signed on every response: a "keep me signed in" cookie lasts REMEMBER_DAYS from
        # sign-in, as its session row does (which alone decides; see accounts.sessions).
        self.SESSION_REFRESH_EACH_REQUEST = False
        self.SESSION_HOURS = env_int("SESSION_HOURS", 12)
        self.API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", 30 * 24 * 3600)
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.WTF_CSRF_CHECK_DEFAULT = False  # app.web.security decides per request
        self.WTF_CSRF_SSL_STRICT = env_bool("WTF_CSRF_SSL_STRICT", production)
        self.PASSWORD_HASH_MEMORY_KIB = env_int("PASSWORD_HASH_MEMORY_KIB", 19456)
        self.PASSWORD_HASH_TIME_COST = env_int("PASSWORD_HASH_TIME_COST", 2)
        self.HSTS = env_bool("HSTS", production)

        # Rate limits (Flask-Limiter syntax); memory by default, Redis when REDIS_URL is set.
        self.RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", self.REDIS_URL or "memory://")
        self.RATELIMIT_KEY_PREFIX = env_str("RATELIMIT_KEY_PREFIX", "dreamdot")
        # Off: with them on, Flask-Limiter stamps every answer of a limited route with
        # Retry-After = its window's reset (an hour on sign-up), even a 200 or an outage's 503.
        # A 429 gets its own Retry-After from the limit it broke (app/web/errors.py).
        self.RATELIMIT_HEADERS_ENABLED = False
        # Redis gone: count in this process's memory until it is back, never fail a request.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": self.REDIS_TIMEOUT_SECONDS,
                                          "socket_connect_timeout": self.REDIS_TIMEOUT_SECONDS}
        self.RATELIMIT_SIGNIN = env_str("RATELIMIT_SIGNIN", "5 per minute")
        # Accounts opened per address; sign-up attempts (typos and refusals too) have their own, looser limit.
        self.RATELIMIT_SIGNUP = env_str("RATELIMIT_SIGNUP", "10 per hour")
        self.RATELIMIT_SIGNUP_ATTEMPTS = env_str("RATELIMIT_SIGNUP_ATTEMPTS", "50 per hour")
        self.RATELIMIT_WRITE = env_str("RATELIMIT_WRITE", "120 per minute")
        self.TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)

        # Flask-Caching, for rendered fragments shared by every viewer (a post card's author
        # line, body and images). Per worker and in memory: a feed page reads 20 of them, which
        # over a network cache would be 20 round trips; the keys carry a digest of what the
        # fragment is drawn from, so an entry is never stale, only unused.
        self.CACHE_TYPE = "SimpleCache"
        self.CACHE_THRESHOLD = env_int("FRAGMENT_CACHE_ENTRIES", 5000)
        self.CACHE_DEFAULT_TIMEOUT = 3600

        # Media and uploads.
        self.MEDIA_ROOT = env_str("MEDIA_ROOT", str(instance_dir / "media"))
        self.MAX_IMAGE_BYTES = env_int("MAX_IMAGE_MB", 5) * MB
        self.MAX_DOWNLOAD_BYTES = env_int("MAX_DOWNLOAD_MB", 200) * MB
        self.MAX_CHAT_MEDIA_BYTES = env_int("MAX_CHAT_MEDIA_MB", 25) * MB
        self.MAX_FORM_BYTES = env_int("MAX_FORM_MB", 2) * MB
        # Image decoding in one worker (app/services/media/decoding.py): images decoded at
        # once (threads), the memory their decoding may take together (estimated from each
        # image's header before it is decoded), and images waiting for room, each at most
        # IMAGE_DECODE_WAIT_SECONDS; past that, 503 with Retry-After. The worker's memory
        # stays under its idle size + IMAGE_DECODE_MEMORY_MB + the waiting
        # images' bytes (docs/benchmarks.md, "Image uploads"). A waiting request holds its
        # admission slot and database connection: keep the line short.
        self.IMAGE_DECODE_WORKERS = env_int("IMAGE_DECODE_WORKERS", 2)
        self.IMAGE_DECODE_MEMORY_MB = env_int("IMAGE_DECODE_MEMORY_MB", 256)
        self.IMAGE_DECODE_QUEUE = env_int("IMAGE_DECODE_QUEUE", 2)
        self.IMAGE_DECODE_WAIT_SECONDS = env_float("IMAGE_DECODE_WAIT_SECONDS", 10.0)
        # The request body ceiling: the largest upload plus room for the form around it.
        self.MAX_CONTENT_LENGTH = self.MAX_DOWNLOAD_BYTES + 4 * MB
        self.MAX_FORM_MEMORY_SIZE = self.MAX_FORM_BYTES
        self.SIGNED_URL_TTL_SECONDS = env_int("SIGNED_URL_TTL_SECONDS", 300)
        self.IMAGEKIT_PRIVATE_KEY = env_str("IMAGEKIT_PRIVATE_KEY")
        self.IMAGEKIT_PUBLIC_KEY = env_str("IMAGEKIT_PUBLIC_KEY")
        self.IMAGEKIT_URL_ENDPOINT = env_str("IMAGEKIT_URL_ENDPOINT")
        self.IMAGEKIT_API_BASE = env_str("IMAGEKIT_API_BASE")  # tests point it at a local fake

        # Chat (end-to-end encrypted; the server keeps ciphertext only).
        self.CHAT_MAX_FRAME_BYTES = env_int("CHAT_MAX_FRAME_BYTES", 64 * 1024)
        self.CHAT_MAX_CIPHERTEXT_BYTES = env_int("CHAT_MAX_CIPHERTEXT_BYTES", 32 * 1024)
        self.CHAT_RATE_PER_SECOND = env_int("CHAT_RATE_PER_SECOND", 10)
        self.CHAT_RATE_BURST = env_int("CHAT_RATE_BURST", 30)
        self.CHAT_PRESENCE_TTL_SECONDS = env_int("CHAT_PRESENCE_TTL_SECONDS", 60)
        self.CHAT_HEARTBEAT_SECONDS = env_int("CHAT_HEARTBEAT_SECONDS", 20)
        self.CHAT_TICKET_SECONDS = min(env_int("CHAT_TICKET_SECONDS", 30), 60)  # api.md: at most 60
        # Key backups: PBKDF2-SHA256 iterations the browser uses and the server demands.
        # Never below 600,000 outside tests (see check_chat_settings).
        self.CHAT_PBKDF2_ITERATIONS = env_int("CHAT_PBKDF2_ITERATIONS", 600_000)
        self.SOCK_SERVER_OPTIONS = {"max_message_size": self.CHAT_MAX_FRAME_BYTES, "ping_interval": 25}

        # Payments.
        self.STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
        self.STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
        self.STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
        self.STRIPE_API_BASE = env_str("STRIPE_API_BASE")  # tests point it at a local fake
        self.PLATFORM_FEE_BPS = env_int("PLATFORM_FEE_BPS", 1000)
        self.SIGNUP_GRANT_CENTS = env_int("SIGNUP_GRANT_CENTS", 5_000_000)

        # Mail (password reset, email changes): SMTP_URL or a mail add-on's variables; off
        # without them. Links in mails start with PUBLIC_URL (required in production when mail
        # is on: never the Host header of the request, which a client chooses).
        self.configure_mail(production)

        # Serving.
        self.WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 1)
        self.PORT = env_int("PORT", 5000)
        self.SERVER_NAME = env_str("SERVER_NAME")
        self.PREFERRED_URL_SCHEME = "https" if production else "http"
        self.SEND_FILE_MAX_AGE_DEFAULT = 3600
        check_chat_settings(self)

    def configure_mail(self, production: bool) -> None:
        settings = mail_settings()
        self.MAIL_ENABLED = settings is not None
        self.MAIL_BACKEND = "smtp"  # Flask-Mailman would pick an in-memory one under TESTING
        self.MAIL_SERVER, self.MAIL_PORT = "localhost", 25
        self.MAIL_USERNAME = self.MAIL_PASSWORD = None
        self.MAIL_USE_TLS = self.MAIL_USE_SSL = False
        for key, value in (settings or {}).items():
            setattr(self, key, value)
        self.MAIL_TIMEOUT = env_float("MAIL_TIMEOUT_SECONDS", 10.0)
        self.MAIL_DEFAULT_SENDER = env_str("MAIL_FROM", "DreamDot <no-reply@localhost>")
        self.PUBLIC_URL = (env_str("PUBLIC_URL") or "").rstrip("/") or None
        self.RATELIMIT_PASSWORD_RESET = env_str("RATELIMIT_PASSWORD_RESET", "5 per 15 minutes")
        # The Maildir of `make run`'s local SMTP server: /dev/mail shows it (development only).
        self.DEV_MAILBOX = env_str("DEV_MAILBOX")
        if production:
            if self.DEV_MAILBOX:
                log.warning("DEV_MAILBOX is ignored in production: /dev/mail exists in development only")
                self.DEV_MAILBOX = None
            if self.MAIL_ENABLED and not self.PUBLIC_URL:
                raise RuntimeError("PUBLIC_URL must be set in production when mail is configured: links "
                                   "in mails start with it (e.g. https://dreamdot.example.com)")
            if self.MAIL_ENABLED and not env_str("MAIL_FROM"):
                log.warning("MAIL_FROM is not set: mails go out from no-reply@localhost, which "
                            "most mail services refuse")


PBKDF2_MIN_ITERATIONS = 600_000


def check_chat_settings(config: Config) -> None:
    """The key-backup iteration count may be lowered only by a test (TestingConfig)."""
    if not config.TESTING and config.CHAT_PBKDF2_ITERATIONS < PBKDF2_MIN_ITERATIONS:
        raise RuntimeError(f"CHAT_PBKDF2_ITERATIONS must be at least {PBKDF2_MIN_ITERATIONS:,}")


class TestingConfig(Config):
    """What the test suite runs on: the stores tests/stores.py gives this test process (its
    own databases on the embedded servers, or on the TEST_* servers)."""

    __test__ = False  # not a pytest test class

    def __init__(self, instance_dir: Path) -> None:
        os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
        os.environ["INSTANCE_PATH"] = str(instance_dir)
        # Addresses tests/stores.py gives each test process, not settings of DreamDot's.
        binds = {bind: os.environ.get(f"DREAMDOT_TEST_DB_{bind.upper()}") for bind in BINDS}
        mongodb_uri = os.environ.get("DREAMDOT_TEST_MONGODB_URI")
        if not all(binds.values()) or not mongodb_uri:
            raise StoreNotConfigured("The test stores are not set up: run the tests with pytest (tests/stores.py).")
        super().__init__("testing", binds=binds, mongodb_uri=mongodb_uri)
        self.EMBEDDED_STORES = ()
        self.REDIS_URL = env_str("TEST_REDIS_URL")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_KEY_PREFIX = f"dreamdot-test-{os.getpid()}"
        # Test processes share one Redis: each resets (limiter.reset) only its own counters.
        self.RATELIMIT_STORAGE_OPTIONS = {**self.RATELIMIT_STORAGE_OPTIONS, "key_prefix": self.RATELIMIT_KEY_PREFIX}
        # Redis pub/sub ignores database numbers: keep concurrent test runs apart.
        self.BROKER_PREFIX = f"dreamdot-test-{os.getpid()}:"
        self.MEDIA_ROOT = str(instance_dir / "media")
        self.WTF_CSRF_ENABLED = True
        self.SERVER_NAME = None
        # Generous limits so suites do not trip them; rate-limit tests set their own.
        self.RATELIMIT_SIGNIN = "1000 per minute"
        self.RATELIMIT_SIGNUP = "1000 per minute"
        self.RATELIMIT_SIGNUP_ATTEMPTS = "1000 per minute"
        self.RATELIMIT_WRITE = "1000 per minute"
        self.STRIPE_SECRET_KEY = None
        self.STRIPE_WEBHOOK_SECRET = None
        self.IMAGEKIT_PRIVATE_KEY = None
        self.RATELIMIT_PASSWORD_RESET = "1000 per minute"  # noqa: S105 - a rate, not a secret
        # Each test process's own local SMTP server and its Maildir (tests/stores.py).
        self.PUBLIC_URL = None
        self.DEV_MAILBOX = os.environ.get("DREAMDOT_TEST_MAILDIR")
        test_smtp = os.environ.get("DREAMDOT_TEST_SMTP_URL")
        self.MAIL_ENABLED = bool(test_smtp)
        if test_smtp:
            for key, value in smtp_url_settings(test_smtp).items():
                setattr(self, key, value)
        self.MAIL_DEFAULT_SENDER = "DreamDot <no-reply@dreamdot.test>"
