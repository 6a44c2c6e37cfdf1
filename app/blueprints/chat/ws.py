"""The chat websocket, `GET /chat/ws`. Frames are JSON `{"event", "data"}` (api.md).

The handshake is refused (403) when the Origin is not the app's own, and (401) without a
live session cookie or a single-use `?ticket=` (POST /api/chat/ticket). A long-lived API
token in the URL is not accepted: URLs are written to access logs. Each connection subscribes to its user's broker channel
(Redis with REDIS_URL, so processes relay to each other), keeps presence fresh with a
heartbeat, and is slowed by a token bucket before it is told `rate_limited`."""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time

from flask import current_app, g, jsonify, request
from flask_login import current_user
from simple_websocket import ConnectionClosed

from app.blueprints.chat.routes import bp
from app.extensions import db, sock
from app.services import chat
from app.services.broker import broker
from app.services.chat import presence
from app.services.chat.events import chat_channel, frame
from app.services.chat.messages import SenderState
from app.services.errors import ServiceError
from app.web.errors import MESSAGES, is_outage

log = logging.getLogger("dreamdot.chat.ws")

MAX_WAIT_SECONDS = 0.5  # the longest pause put on one frame of a fast client
MAX_SLOWED_FRAMES = 5  # frames slowed in a row before further ones are refused


class TokenBucket:
    """Per connection: a burst passes, then frames are slowed to the rate; a client that
    keeps pushing past MAX_SLOWED_FRAMES has its frames refused until it eases off."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.capacity = rate, burst
        self.tokens, self.stamp = float(burst), time.monotonic()
        self.slowed = 0

    def wait_for_token(self) -> float | None:
        """Seconds to wait before the next frame may pass, or None when it must be refused."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        if self.tokens >= 0:
            self.slowed = 0
            return 0.0
        self.slowed += 1
        if self.slowed > MAX_SLOWED_FRAMES:
            self.tokens += 1  # a refused frame costs nothing
            return None
        return min(-self.tokens / self.rate, MAX_WAIT_SECONDS)


def own_origin() -> str:
    return request.host_url.rstrip("/")


@bp.before_app_request
def gate_handshake():
    """Origin and authentication before the upgrade, so a refusal is a plain HTTP reply."""
    if request.endpoint != "chat.socket":
        return None
    origin = request.headers.get("Origin")
    ticket = request.args.get("ticket")
    if origin is not None and origin.rstrip("/") != own_origin():
        return _refuse(403, "bad_origin", "This websocket accepts connections from DreamDot pages only.")
    if ticket:
        user = chat.redeem_ticket(ticket)
    elif "token" in request.args:  # a long-lived API token in a URL (access logs): refused
        user = None
    else:
        if origin is None:  # a cookie without an Origin is not a browser we can trust
            return _refuse(403, "bad_origin", "The Origin header is required.")
        user = current_user if current_user.is_authenticated else None
    if user is None:
        return _refuse(401, "unauthorized", "Sign in to chat.")
    g.chat_user_id = user.id
    db.session.commit()
    db.session.remove()
    return None


def _refuse(status: int, code: str, message: str):
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    return response


@sock.route("/chat/ws", bp=bp)
def socket(ws):
    ChatConnection(ws, g.chat_user_id).run()


class ChatConnection:
    def __init__(self, ws, user_id: int) -> None:
        cfg = current_app.config
        self.ws, self.user_id = ws, user_id
        self.id = secrets.token_hex(8)
        self.send_lock = threading.Lock()
        self.closed = threading.Event()
        self.bucket = TokenBucket(cfg["CHAT_RATE_PER_SECOND"], cfg["CHAT_RATE_BURST"])
        self.heartbeat_every = cfg["CHAT_HEARTBEAT_SECONDS"]
        self.came_online = False
        self.sender_state = SenderState()
        self.handlers = {
            "send_message": self.on_send_message,
            "typing": lambda data: chat.relay_typing(self.user_id, data),
            "message_ack": lambda data: chat.acknowledge_message(self.user_id, data),
        }

    def send(self, event: dict) -> None:
        with self.send_lock:
            self.ws.send(json.dumps(event, separators=(",", ":")))

    def error(self, code: str, message: str, **extra) -> None:
        self.send(frame("error", {"code": code, "message": message, **extra}))

    def run(self) -> None:
        subscription = broker().subscribe([chat_channel(self.user_id)])
        forwarder = threading.Thread(target=self.forward, args=(subscription,), daemon=True,
                                     name=f"chat-forward-{self.id}")
        forwarder.start()
        try:
            try:
                self.greet()
            except Exception as exc:
                if not is_outage(exc):
                    raise
                # A store is down (MongoDB, PostgreSQL): say so and close; the page
                # reconnects with backoff and fetches what it missed once it is back.
                log.warning("chat connection refused, store unavailable (%s): %s", type(exc).__name__, exc)
                self.error("unavailable", MESSAGES[503])
                return
            self.receive_loop()
        finally:
            self.closed.set()
            subscription.close()
            wake(subscription)
            if self.came_online:  # not when refused before (a store down at connect)
                self.safely(lambda: presence.go_offline(self.user_id, self.id, self.contacts()))
            db.session.remove()

    def greet(self) -> None:
        conversations = chat.list_conversations(self.user_id)
        contacts = presence.contacts_in(conversations, self.user_id)
        # Presence lives in Redis: while Redis is away, chat works without it.
        self.came_online = True
        self.safely(lambda: presence.come_online(self.user_id, self.id, contacts))
        for user_id, online in (self.safely(lambda: presence.online_among(contacts)) or {}).items():
            self.send(frame("presence", {"user_id": user_id, "online": online}))
        for conversation in conversations:
            chat.request_missing_keys(conversation)
        db.session.remove()

    def forward(self, subscription) -> None:
        """Events of the user's channel to the socket. Blocks without a timeout (an idle
        connection costs no wake-ups); closing the connection wakes it with None."""
        while True:
            event = subscription.get()
            if self.closed.is_set():
                return
            if event is None:
                continue
            try:
                self.send(event)
            except Exception:  # noqa: BLE001 - the socket is gone; the reader notices too
                return

    def receive_loop(self) -> None:
        last_beat = time.monotonic()
        while True:
            raw = self.ws.receive(timeout=self.heartbeat_every)
            if time.monotonic() - last_beat >= self.heartbeat_every:
                last_beat = time.monotonic()
                self.safely(lambda: presence.heartbeat(self.user_id, self.id))
            if raw is not None:
                self.handle(raw)

    def handle(self, raw) -> None:
        wait = self.bucket.wait_for_token()
        if wait is None:
            self.error("rate_limited", "Slow down: too many frames.")
            return
        if wait:
            time.sleep(wait)
        event, data = None, {}
        try:
            event, data = parse_frame(raw)
            if event is None:
                self.error("invalid_frame", "Frames are JSON objects {\"event\": str, \"data\": {...}}.")
                return
            handler = self.handlers.get(event)
            if handler is None:
                self.error("unknown_event", f"Unknown event {event[:40]!r}.")
                return
            handler(data)
        except ServiceError as exc:
            extra = frame_ids(event, data)
            if exc.fields:
                extra["fields"] = exc.fields
            self.error(exc.code, exc.message, **extra)
        except ConnectionClosed:
            raise  # the client left while its frame was handled: nothing to log
        except Exception as exc:  # noqa: BLE001 - one bad frame must not end the connection
            db.session.rollback()
            if is_outage(exc):  # the frame was not stored or relayed: the client may resend it
                log.warning("chat frame %s: store unavailable (%s): %s", event, type(exc).__name__, exc)
                self.error("unavailable", MESSAGES[503], **frame_ids(event, data))
                return
            log.exception("chat frame %s failed", event)
            self.error("server_error", "Something went wrong on our side.", event=event)
        finally:
            db.session.remove()

    def on_send_message(self, data: dict) -> None:
        message, _created = chat.send_message(self.user_id, data, self.sender_state)
        self.send(frame("message_ack", {"client_msg_id": message["client_msg_id"], "message_id": message["id"],
                                        "conversation_id": message["conversation_id"], "status": "stored"}))

    def contacts(self) -> set[int]:
        return presence.contacts_in(chat.list_conversations(self.user_id), self.user_id)

    def safely(self, action):
        try:
            return action()
        except Exception:  # noqa: BLE001 - presence is best effort; the TTL corrects it
            log.warning("presence update failed for user %s", self.user_id, exc_info=True)


def frame_ids(event: str, data: dict) -> dict:
    """What an error frame carries so the client knows which of its frames failed."""
    ids = {"event": event}
    if isinstance(data.get("client_msg_id"), str):
        ids["client_msg_id"] = data["client_msg_id"][:64]
    return ids


def wake(subscription) -> None:
    """Unblock a forwarder waiting on this subscription (it then sees `closed`)."""
    try:
        subscription.queue.put_nowait(None)
    except queue.Full:
        pass  # not waiting: it has events to take first


def parse_frame(raw) -> tuple[str | None, dict]:
    """(event, data), or (None, {}) for a frame that is not a JSON object of that shape.
    JSON nested past the interpreter's recursion limit is refused like any malformed frame."""
    if not isinstance(raw, str):
        return None, {}
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        return None, {}
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        return None, {}
    data = message.get("data")
    if not isinstance(data, dict):
        return None, {}
    return message["event"], data
