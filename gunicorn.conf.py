"""gunicorn settings, all from the environment (Heroku-style dyno)."""

import os
from urllib.parse import unquote_plus

from gunicorn import glogging

# The gevent worker patches the standard library before the app is loaded, and psycopg
# (3.1.14 and later) waits cooperatively in a patched process, so one worker serves
# thousands of SSE streams and websockets.
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
    """gunicorn's logger, with the values of `ticket=` and `token=` in the URL never written
    (api.md: no credential is ever logged), whatever `access_log_format` names."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        if isinstance(atoms.get("r"), str):  # the request line: method, URI, protocol
            method, _, rest = atoms["r"].partition(" ")
            uri, space, protocol = rest.rpartition(" ") if " " in rest else (rest, "", "")
            atoms["r"] = f"{method} {redact_uri(uri)}{space}{protocol}"
        for key in ("{raw_uri}e", "{request_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_uri(atoms[key])
        for key in ("q", "{query_string}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_query(atoms[key])
        return atoms


logger_class = AccessLogger


def post_worker_init(worker):
    # The app is loaded: collect once, then leave everything alive now (modules, the app,
    # compiled templates and statements) out of every later collection. The cyclic
    # collector otherwise walks all of them on each full collection, a pause that every
    # request in flight waits out.
    import gc

    gc.collect()
    gc.freeze()


def post_request(worker, req, environ, resp):
    # Let the other connections run before this one reads its next request. A gevent socket
    # does not yield when data is already there, so a keep-alive client that sends its next
    # request as soon as it has an answer (loopback, a proxy, a load generator) is served
    # again and again while the others wait, a tail latency far above the median (seen on
    # bench/feed.py's bare route). One switch per request costs next to nothing.
    import gevent

    gevent.sleep(0)
