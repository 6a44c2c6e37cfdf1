"""A raw HTTP client for server-sent event streams, for tests: a reader thread turns the
stream into lines, and every wait has a deadline, so a stream that never delivers fails
fast instead of hanging the suite."""

from __future__ import annotations

import http.client
import queue
import socket
import threading
import time

CLOSED = object()


class SSEClient:
    def __init__(self, port: int, path: str = "/events", headers: dict | None = None,
                 timeout: float = 10.0) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.connection.request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
        self.sock = self.connection.sock
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.comments: list[str] = []
        self.closed = False
        self.lines: queue.Queue = queue.Queue()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while raw := self.response.readline():
                self.lines.put(raw.decode().rstrip("\r\n"))
        except Exception:  # noqa: BLE001 - closed under the reader: the stream is over
            pass
        self.lines.put(CLOSED)

    def next_event(self, timeout: float = 1.0) -> dict | None:
        """The next event as {"id", "event", "data"}, or None when none came within `timeout`
        (or the server ended the stream: then `closed` is True). Comment lines seen on the
        way are kept in `comments`."""
        deadline = time.monotonic() + timeout
        fields: dict = {}
        data: list[str] = []
        while (left := deadline - time.monotonic()) > 0 and not self.closed:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is CLOSED:
                self.closed = True
                return None
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line == "":
                if data or fields:
                    return {"id": fields.get("id"), "event": fields.get("event", "message"),
                            "data": "\n".join(data)}
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    data.append(value)
                else:
                    fields[name] = value
        return None

    def wait_for(self, event: str, timeout: float = 1.0) -> dict | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            got = self.next_event(left)
            if got is None:
                return None
            if got["event"] == event:
                return got
        return None

    def wait_for_comment(self, text: str, timeout: float = 1.0, *, new: bool = True) -> bool:
        """Whether a comment line containing `text` arrives (or, with new=False, has arrived)."""
        deadline = time.monotonic() + timeout
        start = len(self.comments) if new else 0
        while True:
            if any(text in comment for comment in self.comments[start:]):
                return True
            if self.closed or time.monotonic() >= deadline:
                return False
            self.next_event(0.05)

    def wait_closed(self, timeout: float = 2.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self.next_event(0.05)
        return self.closed

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader thread
        except OSError:
            pass
        self.response.close()
        self.connection.close()
