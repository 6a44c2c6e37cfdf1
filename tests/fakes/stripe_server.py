"""A small local stand-in for the Stripe API that records every request.

The app reaches it through the official `stripe` library (STRIPE_API_BASE). It knows the
calls DreamDot makes: Checkout sessions (create, retrieve), transfers, Connect accounts and
account links; it honours Idempotency-Key like Stripe does (same key, same reply)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

_ids = itertools.count(1)


def _nested(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (a[b][0][c]=v) back into a dict (lists stay dicts by index)."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.sessions: dict[str, dict] = {}
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.fail_transfers = False
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pay(self, session_id: str, status: str = "paid") -> dict:
        self.sessions[session_id]["payment_status"] = status
        self.sessions[session_id]["status"] = "complete"
        return self.sessions[session_id]

    def calls(self, method: str, path_prefix: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(path_prefix)]

    def _route(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        n = next(_ids)
        if method == "POST" and path == "/v1/checkout/sessions":
            sid = f"cs_test_{n:06d}"
            item = body["line_items"]["0"]
            session = {
                "id": sid, "object": "checkout.session", "mode": body.get("mode"),
                "amount_total": int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)),
                "currency": "usd", "client_reference_id": body.get("client_reference_id"),
                "metadata": body.get("metadata", {}), "payment_status": "unpaid", "status": "open",
                "url": f"https://checkout.stripe.test/pay/{sid}",
                "success_url": body.get("success_url"),
            }
            self.sessions[sid] = session
            return 200, session
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            sid = path.rsplit("/", 1)[1]
            if sid not in self.sessions:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such checkout.session"}}
            return 200, self.sessions[sid]
        if method == "POST" and path == "/v1/transfers":
            if self.fail_transfers:
                return 400, {"error": {"type": "invalid_request_error", "message": "Insufficient platform funds"}}
            return 200, {"id": f"tr_test_{n:06d}", "object": "transfer", "amount": int(body["amount"]),
                         "destination": body["destination"], "metadata": body.get("metadata", {})}
        if method == "POST" and path == "/v1/accounts":
            return 200, {"id": f"acct_test_{n:06d}", "object": "account", "metadata": body.get("metadata", {})}
        if method == "POST" and path == "/v1/account_links":
            return 200, {"object": "account_link", "url": f"https://connect.stripe.test/setup/{body['account']}",
                         "expires_at": int(time.time()) + 300}
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unknown {method} {path}"}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                body = _nested(parse_qsl(raw, keep_blank_values=True))
                path = self.path.split("?", 1)[0]
                key = self.headers.get("Idempotency-Key")
                with fake.lock:
                    fake.requests.append({"method": self.command, "path": path, "body": body,
                                          "idempotency_key": key,
                                          "authorization": self.headers.get("Authorization")})
                    if key and key in fake.idempotent:
                        status, reply = fake.idempotent[key]
                    else:
                        status, reply = fake._route(self.command, path, body)
                        if key and self.command == "POST":
                            fake.idempotent[key] = (status, reply)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{next(_ids)}")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        return Handler


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header, made exactly as Stripe makes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event_type: str, obj: dict, event_id: str | None = None) -> bytes:
    return json.dumps({
        "id": event_id or f"evt_test_{next(_ids):06d}", "object": "event", "type": event_type,
        "api_version": "2025-01-01", "created": int(time.time()), "livemode": False,
        "data": {"object": obj},
    }).encode()
