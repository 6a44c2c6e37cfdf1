"""A TCP proxy on loopback for fault tests: a thread forwards a local port to a real server
(PostgreSQL, Redis, MongoDB; over TCP or a Unix socket), and the test can cut it, blackhole
it, slow it down or restore it without touching the real server, which other tests share.

    proxy = TcpProxy(5432)          # listens on 127.0.0.1:<proxy.port>
    proxy = postgres_proxy(url)     # the PostgreSQL server of a SQLAlchemy URL, TCP or socket
    proxy.postgres_url(url)         # that URL through the proxy
    proxy.cut()                     # close every connection, refuse new ones
    proxy.blackhole()               # accept and hold connections, forward nothing
    proxy.delay(0.5)                # forward with 0.5 s added to each chunk
    proxy.restore()                 # forward normally again
    proxy.close()
"""

from __future__ import annotations

import select
import socket
import threading
import time

import sqlalchemy as sa

NORMAL, CUT, BLACKHOLE = "normal", "cut", "blackhole"


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1", *, unix_socket: str | None = None) -> None:
        assert target_host in ("127.0.0.1", "::1", "localhost"), "loopback only"
        self.target = (target_host, target_port)
        self.unix_socket = unix_socket
        self.mode = NORMAL
        self.latency = 0.0
        self.lock = threading.Lock()
        self.pairs: set[tuple[socket.socket, socket.socket]] = set()
        self.held: set[socket.socket] = set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def url(self, scheme_url: str) -> str:
        """`scheme_url` (e.g. postgresql://postgres@127.0.0.1:5432/db) through the proxy."""
        return scheme_url.replace(f":{self.target[1]}", f":{self.port}", 1)

    def postgres_url(self, url: str) -> str:
        """A SQLAlchemy PostgreSQL URL (TCP, or a Unix socket named by its `host` query) through
        the proxy."""
        proxied = sa.make_url(url).difference_update_query(["host"]).set(host="127.0.0.1", port=self.port)
        return proxied.render_as_string(hide_password=False)

    # The faults.
    def cut(self) -> None:
        """Like a server that stopped: connections are reset and new ones refused."""
        with self.lock:
            self.mode = CUT
        self._drop_all()

    def blackhole(self) -> None:
        """Like an unreachable host: packets vanish, nothing answers, nothing is refused."""
        with self.lock:
            self.mode = BLACKHOLE

    def delay(self, seconds: float) -> None:
        with self.lock:
            self.mode, self.latency = NORMAL, seconds

    def restore(self) -> None:
        with self.lock:
            self.mode, self.latency = NORMAL, 0.0
            held, self.held = self.held, set()
        for sock in held:
            _close(sock)

    def close(self) -> None:
        self.closed = True
        _close(self.listener)
        self._drop_all()
        self.restore()

    def connection_count(self) -> int:
        with self.lock:
            return len(self.pairs)

    # The plumbing.
    def _drop_all(self) -> None:
        with self.lock:
            pairs, self.pairs = self.pairs, set()
            held, self.held = self.held, set()
        for client, upstream in pairs:
            _reset(client)
            _close(upstream)
        for sock in held:
            _reset(sock)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                mode = self.mode
            if mode == CUT:
                _reset(client)
            elif mode == BLACKHOLE:
                with self.lock:
                    self.held.add(client)
            else:
                threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            if self.unix_socket:
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.settimeout(5)
                upstream.connect(self.unix_socket)
            else:
                upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        pair = (client, upstream)
        with self.lock:
            self.pairs.add(pair)
        try:
            self._pump(client, upstream)
        finally:
            with self.lock:
                self.pairs.discard(pair)
            _close(client)
            _close(upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        other = {client: upstream, upstream: client}
        while True:
            with self.lock:
                if (client, upstream) not in self.pairs:
                    return
                mode, latency = self.mode, self.latency
            if mode == BLACKHOLE:
                time.sleep(0.05)  # hold the bytes: nothing goes through while blackholed
                continue
            try:
                readable, _, _ = select.select([client, upstream], [], [], 0.1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if latency:
                        time.sleep(latency)
                    other[sock].sendall(data)
            except OSError:
                return


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, as a dead server's host does, at once: the pump
    thread may be in `select` on this socket, which keeps the kernel's socket alive (and
    the RST unsent) until it returns, so the connection is also shut down first, which
    takes effect immediately whoever else holds it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_proxy(url: str) -> TcpProxy:
    """A proxy to the PostgreSQL server of a SQLAlchemy URL: TCP, or the Unix socket of the
    embedded server (its folder in the `host` query, the socket named by the port)."""
    parsed = sa.make_url(url)
    port = parsed.port or 5432
    socket_dir = parsed.query.get("host")
    if socket_dir and not parsed.host:
        return TcpProxy(port, unix_socket=f"{socket_dir}/.s.PGSQL.{port}")
    return TcpProxy(port)
