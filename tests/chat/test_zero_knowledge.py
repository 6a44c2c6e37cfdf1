"""After real conversations (1-on-1, community, an encrypted file, a key backup), nothing
the server stored or logged contains the plaintext or any secret key."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from bson import json_util
from nacl.secret import SecretBox
from nacl.utils import random

from app.extensions import db
from app.services.stores import mongo_db
from tests.chat.peers import b64
from tests.factories.communities import add_member, make_community

MARKER = "ZK-MARKER-7f3a9c-plaintext-never-on-the-server"


def forms(raw: bytes) -> list[bytes]:
    """The ways a secret could be written down: raw, base64 (both alphabets), hex."""
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"="), raw.hex().encode()]


def everything_stored(app, caplog) -> list[tuple[str, bytes]]:
    blobs = []
    for bind, engine in db.engines.items():
        if bind is None:
            continue
        with engine.connect() as connection:
            for table in db.metadatas[bind].sorted_tables:
                for row in connection.execute(sa.select(table)):
                    blobs.append((f"sql:{bind}.{table.name}", repr(tuple(row)).encode()))
    database = mongo_db()
    for name in database.list_collection_names():
        for document in database[name].find():
            blobs.append((f"mongo:{name}", json_util.dumps(document).encode()))
    for path in Path(app.config["MEDIA_ROOT"]).rglob("*"):
        if path.is_file():
            blobs.append((f"media:{path.name}", path.read_bytes()))
    blobs.append(("logs", "\n".join(r.getMessage() for r in caplog.records).encode()))
    blobs.append(("logs:text", caplog.text.encode()))
    return blobs


def test_the_server_never_holds_plaintext_or_secret_keys(app, make_peer, caplog):
    caplog.set_level(logging.DEBUG)
    owner = make_peer()
    community = make_community(owner.user)
    alice, bob = owner, make_peer()
    add_member(community, bob.user)

    conversation_id = alice.direct_with(bob.id)
    sent = alice.send_direct(conversation_id, bob.id, f"direct {MARKER}")
    assert bob.open_direct(bob.expect("message", client_msg_id=sent)) == f"direct {MARKER}"

    # An encrypted file: a fresh secretbox key, ciphertext uploaded, key sent inside a message.
    file_key, file_nonce = random(32), random(24)
    content = f"%PDF-ish file with {MARKER} inside".encode() + os.urandom(2000)
    sealed_file = SecretBox(file_key).encrypt(content, file_nonce).ciphertext
    blob_id = alice.http.post("/api/chat/media", files={"blob": ("blob", sealed_file)}).json()["blob_id"]
    pointer = f'{{"type":"file","name":"{MARKER}.pdf","blob_id":"{blob_id}","key":"{b64(file_key)}","nonce":"{b64(file_nonce)}"}}'
    sent = alice.send_direct(conversation_id, bob.id, pointer, blob_ids=[blob_id])
    received = bob.open_direct(bob.expect("message", client_msg_id=sent))
    fetched = bob.http.get(f"/api/chat/media/{blob_id}").content
    assert len(fetched) == len(sealed_file), fetched[:200]
    assert SecretBox(file_key).decrypt(fetched, file_nonce) == content and MARKER in received

    group_id = alice.http.post("/api/chat/conversations", json={"community_slug": community.slug}).json()["conversation"]["id"]
    epoch_key = alice.make_epoch_key(group_id, 1, [alice.id, bob.id])
    bob.fetch_epoch_keys(group_id)
    sent = alice.send_group(group_id, 1, f"group {MARKER}")
    assert bob.open_group(bob.expect("message", client_msg_id=sent)) == f"group {MARKER}"

    # A key backup sealed under a passphrase-derived key (the server sees salt and ciphertext).
    backup_key, nonce = random(32), random(24)
    sealed = SecretBox(backup_key).encrypt(bytes(alice.secret), nonce).ciphertext
    body = {"salt": b64(random(16)), "iterations": 600_000, "nonce": b64(nonce), "ciphertext": b64(sealed)}
    assert alice.http.put("/api/chat/key-backup", json=body).status_code == 200

    secrets_ = {"marker": [MARKER.encode()], "file key": forms(file_key), "epoch key": forms(epoch_key),
                "backup key": forms(backup_key)}
    for peer in (alice, bob):
        secrets_[f"secret key of {peer.id}"] = forms(bytes(peer.secret))
    stored = everything_stored(app, caplog)
    assert any(where.startswith("mongo:chat_messages") for where, _ in stored)
    assert any(where.startswith("media:") for where, _ in stored)
    for name, needles in secrets_.items():
        for where, data in stored:
            assert not any(needle in data for needle in needles), f"{name} found in {where}"
