"""Chat clients written with PyNaCl that talk to the real websocket and HTTP API."""

from __future__ import annotations

import base64
import json
import secrets
import time

import httpx
import websocket
from nacl.public import Box, PrivateKey, PublicKey
from nacl.secret import SecretBox
from nacl.utils import random


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


class Peer:
    def __init__(self, server, user, token: str, *, register: bool = True) -> None:
        self.server, self.user, self.token = server, user, token
        self.id = user.id
        self.secret = PrivateKey.generate()
        self.public = self.secret.public_key
        self.http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        self.ws = None
        self.inbox: list[dict] = []
        self.known_keys: dict[int, PublicKey] = {}
        self.epoch_keys: dict[tuple[str, int], bytes] = {}
        if register:
            reply = self.http.put("/api/chat/keys", json={"public_key": b64(bytes(self.public))})
            assert reply.status_code == 200, reply.text

    # -- websocket -----------------------------------------------------------------
    def ticket(self) -> str | None:
        """A single-use websocket ticket from the API, or None when the API refuses one."""
        reply = self.http.post("/api/chat/ticket")
        if reply.status_code != 200:
            return None
        return reply.json()["ticket"]

    def connect(self, **options) -> Peer:
        """Open the websocket with a fresh ticket (as the browser does: no long-lived token in
        the URL). Without one (the session ended) the handshake goes without credentials."""
        options.setdefault("origin", self.server.url)
        ticket = self.ticket()
        query = f"?ticket={ticket}" if ticket else ""
        self.ws = websocket.create_connection(f"{self.server.ws_url}/chat/ws{query}", timeout=5, **options)
        return self

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close(timeout=1)
            except Exception:  # noqa: BLE001 - the server may have closed it already
                pass
            finally:
                if self.ws.sock is not None:
                    self.ws.sock.close()
            self.ws = None
        self.http.close()

    def emit(self, event: str, data: dict) -> None:
        self.ws.send(json.dumps({"event": event, "data": data}))

    def expect(self, name: str, timeout: float = 5.0, **match) -> dict:
        """The next frame of this event whose data has the given values (others are kept)."""
        for i, frame in enumerate(self.inbox):
            if frame["event"] == name and all(frame["data"].get(k) == v for k, v in match.items()):
                return self.inbox.pop(i)["data"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                frame = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if frame["event"] == name and all(frame["data"].get(k) == v for k, v in match.items()):
                return frame["data"]
            self.inbox.append(frame)
        raise AssertionError(f"user {self.id}: no {name} {match} within {timeout}s; got {self.inbox}")

    def quiet(self, name: str, wait: float = 0.5, **match) -> bool:
        """True when no such frame arrives within `wait` seconds."""
        try:
            self.expect(name, timeout=wait, **match)
        except AssertionError:
            return True
        return False

    # -- chat ------------------------------------------------------------------------
    def key_of(self, user_id: int, *, cached: bool = False) -> PublicKey:
        if cached and user_id in self.known_keys:
            return self.known_keys[user_id]
        reply = self.http.get(f"/api/chat/keys/{user_id}")
        assert reply.status_code == 200, reply.text
        self.known_keys[user_id] = PublicKey(unb64(reply.json()["public_key"]))
        return self.known_keys[user_id]

    def direct_with(self, other_id: int) -> str:
        reply = self.http.post("/api/chat/conversations", json={"member_ids": [other_id]})
        assert reply.status_code in (200, 201), reply.text
        return reply.json()["conversation"]["id"]

    def send_direct(self, conversation_id: str, other_id: int, text: str, client_msg_id: str | None = None,
                    **extra) -> str:
        client_msg_id = client_msg_id or secrets.token_hex(8)
        nonce = random(24)
        sealed = Box(self.secret, self.key_of(other_id, cached=True)).encrypt(text.encode(), nonce).ciphertext
        self.emit("send_message", {"conversation_id": conversation_id, "client_msg_id": client_msg_id,
                                   "nonce": b64(nonce), "ciphertext": b64(sealed), "epoch": 0, **extra})
        return client_msg_id

    def open_direct(self, message: dict) -> str:
        other = message["recipient_key"] if message["sender_id"] == self.id else message["sender_key"]
        box = Box(self.secret, PublicKey(unb64(other)))
        return box.decrypt(unb64(message["ciphertext"]), unb64(message["nonce"])).decode()

    # community epochs -------------------------------------------------------------
    def make_epoch_key(self, conversation_id: str, epoch: int, member_ids) -> bytes:
        key = random(32)
        self.put_epoch_key(conversation_id, epoch, key, member_ids)
        return key

    def put_epoch_key(self, conversation_id: str, epoch: int, key: bytes, member_ids) -> httpx.Response:
        keys = []
        for member_id in member_ids:
            nonce = random(24)
            wrapped = Box(self.secret, self.key_of(member_id)).encrypt(key, nonce).ciphertext
            keys.append({"member_id": member_id, "nonce": b64(nonce), "wrapped_key": b64(wrapped)})
        reply = self.http.put(f"/api/chat/conversations/{conversation_id}/keys", json={"epoch": epoch, "keys": keys})
        if reply.status_code == 204:
            self.epoch_keys[(conversation_id, epoch)] = key
        return reply

    def fetch_epoch_keys(self, conversation_id: str) -> None:
        reply = self.http.get(f"/api/chat/conversations/{conversation_id}/keys")
        assert reply.status_code == 200, reply.text
        for envelope in reply.json()["keys"]:
            box = Box(self.secret, PublicKey(unb64(envelope["sender_public_key"])))
            key = box.decrypt(unb64(envelope["wrapped_key"]), unb64(envelope["nonce"]))
            self.epoch_keys[(conversation_id, envelope["epoch"])] = key

    def send_group(self, conversation_id: str, epoch: int, text: str) -> str:
        client_msg_id = secrets.token_hex(8)
        nonce = random(24)
        sealed = SecretBox(self.epoch_keys[(conversation_id, epoch)]).encrypt(text.encode(), nonce).ciphertext
        self.emit("send_message", {"conversation_id": conversation_id, "client_msg_id": client_msg_id,
                                   "nonce": b64(nonce), "ciphertext": b64(sealed), "epoch": epoch})
        return client_msg_id

    def open_group(self, message: dict) -> str:
        key = self.epoch_keys[(message["conversation_id"], message["epoch"])]
        return SecretBox(key).decrypt(unb64(message["ciphertext"]), unb64(message["nonce"])).decode()
