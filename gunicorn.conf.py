"""gunicorn settings, all from the environment (Heroku-style dyno)."""

import os
from urllib.parse import unquote_plus

from gunicorn import glogging
from gunicorn.config import AccessLogFormat

# Patch the standard library before anything imports it, and make psycopg2 yield to
# gevent, so one worker serves thousands of SSE streams and websockets.
worker_class = "gevent"
bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
max_requests = int(os.environ.get("MAX_REQUESTS", "0"))
max_requests_jitter = 100 if max_requests else 0


# Query values never written to the access log: the chat websocket's single-use ticket and
# any API token a client still puts in a URL (api.md: no credential is ever logged).
SECRET_QUERY_NAMES = frozenset({"ticket", "token"})
REDACTED = "[redacted]"


def redact_query(query: str) -> str:
    """The query string with the values of SECRET_QUERY_NAMES replaced (names compared as
    the app decodes them, so `%74oken=` is caught too), and any value that is itself a URL
    carrying one (the `next=` of a sign-in redirect from a mailed link) redacted whole."""
    if not query:
        return query
    parts = query.split("&")
    for i, part in enumerate(parts):
        name, eq, value = part.partition("=")
        if unquote_plus(name).strip().lower() in SECRET_QUERY_NAMES or carries_secret(value):
            parts[i] = f"{name}={REDACTED}" if eq else part
    return "&".join(parts)


def carries_secret(value: str) -> bool:
    inner = unquote_plus(value)
    if "?" not in inner:
        return False
    return redact_query(inner.partition("?")[2]) != inner.partition("?")[2]


def redact_uri(uri: str) -> str:
    path, mark, query = uri.partition("?")
    return f"{path}?{redact_query(query)}" if mark else uri


class AccessLogger(glogging.Logger):
    """gunicorn's logger, with the access log's line built from the nine values its default
    format names. gunicorn builds a dictionary of every request header, response header and
    environ key for each line, and escapes every one of them, whatever the format uses: 6%
    of a feed page's worker time, a fifth of the bare route's (docs/benchmarks.md). With
    another `access_log_format` (which may name any of them) gunicorn's own atoms are used.
    Either way the values of `ticket=` and `token=` in the URL are never written."""

    def atoms(self, resp, req, environ, request_time):
        if self.cfg.access_log_format != AccessLogFormat.default:
            atoms = super().atoms(resp, req, environ, request_time)
            for key in ("r", "{raw_uri}e", "{request_uri}e"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact_uri(atoms[key])
            for key in ("q", "{query_string}e"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact_query(atoms[key])
            return atoms
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        return {
            "h": environ.get("REMOTE_ADDR", "-"),
            "l": "-",
            "u": self._get_user(environ) or "-",
            "t": self.now(),
            "r": f"{environ['REQUEST_METHOD']} {redact_uri(environ['RAW_URI'])} {environ['SERVER_PROTOCOL']}",
            "s": status,
            "b": sent is not None and str(sent) or "-",
            "f": environ.get("HTTP_REFERER", "-"),
            "a": environ.get("HTTP_USER_AGENT", "-"),
        }


logger_class = AccessLogger


def post_fork(server, worker):
    # create_app then replaces this wait callback with DreamDot's, which yields to gevent
    # the same way and also puts a deadline on every wait (app/services/pg_wait.py).
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()


def post_worker_init(worker):
    # The app is loaded: collect once, then leave everything alive now (modules, the app,
    # compiled templates and statements, about 170,000 objects) out of every later
    # collection. The cyclic collector otherwise walks all of them on each full
    # collection: a pause of about 90 ms for every request in flight, every minute or so.
    import gc

    gc.collect()
    gc.freeze()


def post_request(worker, req, environ, resp):
    # Let the other connections run before this one reads its next request. A gevent socket
    # does not yield when data is already there, so a keep-alive client that sends its next
    # request as soon as it has an answer (loopback, a proxy, a load generator) is served
    # again and again while the others wait: p99 of seconds at a p50 of half a millisecond
    # (bench/feed.py's bare route, before). One switch per request costs microseconds.
    import gevent

    gevent.sleep(0)
