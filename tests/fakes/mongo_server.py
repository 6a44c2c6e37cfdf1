"""A small MongoDB server for tests: the MongoDB wire protocol over TCP in front of one
mongomock client, so that several app processes (gunicorn dynos, a benchmark's workers) can
share one MongoDB where no real server can be installed.

What it is: a threaded TCP server that reads OP_MSG (and the legacy OP_QUERY `hello` /
`isMaster` handshake a driver may send first), decodes the commands with the `bson` package
that ships with pymongo, runs them against mongomock under one lock and answers as a
standalone MongoDB 7.0 would (cursors with getMore, write errors with code 11000 for a
duplicate key in a unique index, `{ok: 0, errmsg, code}` for a failed or unknown command).
It implements what pymongo and mongoengine send for DreamDot: hello/isMaster, ping,
buildInfo, endSessions, insert, find, getMore, killCursors, update, delete, findAndModify,
aggregate, count, distinct, create, createIndexes, listIndexes, dropIndexes,
listCollections, listDatabases, drop and dropDatabase. Unknown commands are logged and
refused with CommandNotFound (59).

What it is not: a database. Data lives in memory and is gone when the process stops; there
are no transactions, replication, authentication, TLS, compression or exhaust cursors;
queries behave as mongomock's do (which is close to, not the same as, MongoDB); one lock
runs one command at a time. It is for tests and local benchmarks only.

    python -m tests.fakes.mongo_server [--port N]    prints "PORT <n>", serves until killed

    with MongoServer() as server:                    the same, as a child process
        client = pymongo.MongoClient(server.uri())
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import logging
import os
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
from pathlib import Path

import bson
import mongomock
from bson import Int64
from mongomock.filtering import filter_applies
from pymongo.errors import DuplicateKeyError, OperationFailure

log = logging.getLogger("dreamdot.fake_mongo")

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
CHECKSUM_PRESENT, MORE_TO_COME = 1, 2
HEADER = struct.Struct("<iiii")
DEFAULT_BATCH = 101
MAX_BSON = 16 * 1024 * 1024

ROOT = Path(__file__).resolve().parents[2]


class CommandError(Exception):
    def __init__(self, message: str, code: int, code_name: str) -> None:
        super().__init__(message)
        self.code, self.code_name = code, code_name


class Backend:
    """The commands, run one at a time against one mongomock client."""

    def __init__(self) -> None:
        self.client = mongomock.MongoClient()
        self.lock = threading.Lock()
        self.cursors: dict[int, tuple[str, list]] = {}
        self.cursor_ids = itertools.count(1)
        self.connection_ids = itertools.count(1)
        self.commands = {
            "hello": self.hello, "isMaster": self.hello, "ismaster": self.hello,
            "ping": lambda db, cmd: {}, "endSessions": lambda db, cmd: {},
            "buildInfo": self.build_info, "buildinfo": self.build_info,
            "insert": self.insert, "find": self.find, "getMore": self.get_more,
            "killCursors": self.kill_cursors, "update": self.update, "delete": self.delete,
            "findAndModify": self.find_and_modify, "findandmodify": self.find_and_modify,
            "aggregate": self.aggregate, "count": self.count, "distinct": self.distinct,
            "create": self.create, "createIndexes": self.create_indexes,
            "listIndexes": self.list_indexes, "dropIndexes": self.drop_indexes,
            "listCollections": self.list_collections, "listDatabases": self.list_databases,
            "drop": self.drop, "dropDatabase": self.drop_database,
        }

    def run(self, db_name: str, command: dict) -> dict:
        name = next(iter(command), None)
        handler = self.commands.get(name)
        if handler is None:
            log.warning("unknown command %r", name)
            return error_doc(f"no such command: '{name}'", 59, "CommandNotFound")
        try:
            with self.lock:
                reply = handler(db_name, command)
        except CommandError as exc:
            return error_doc(str(exc), exc.code, exc.code_name)
        except DuplicateKeyError as exc:
            return error_doc(duplicate_message(db_name, command, exc), 11000, "DuplicateKey")
        except OperationFailure as exc:
            return error_doc(str(exc), exc.code or 2, "BadValue")
        except NotImplementedError as exc:
            log.warning("command %r not supported by mongomock: %s", name, exc)
            return error_doc(f"not supported here: {exc}", 115, "CommandNotSupported")
        except Exception as exc:  # noqa: BLE001 - report it to the client as MongoDB would
            log.exception("command %r failed", name)
            return error_doc(f"{type(exc).__name__}: {exc}", 1, "InternalError")
        return {**reply, "ok": 1.0}

    def collection(self, db_name: str, command: dict, *, create: bool = False):
        collection = self.client[db_name][command[next(iter(command))]]
        if create:  # MongoDB keeps a collection once written to, even emptied; mongomock not
            collection._store.create()
        return collection

    # -- the handshake and server facts ---------------------------------------------
    def hello(self, db_name, command):
        return {"helloOk": True, "isWritablePrimary": True, "ismaster": True,
                "maxBsonObjectSize": MAX_BSON, "maxMessageSizeBytes": 48_000_000,
                "maxWriteBatchSize": 100_000, "localTime": datetime.datetime.now(datetime.UTC),
                "logicalSessionTimeoutMinutes": 30, "connectionId": next(self.connection_ids),
                "minWireVersion": 0, "maxWireVersion": 21, "readOnly": False}

    def build_info(self, db_name, command):
        return {"version": "7.0.0", "versionArray": [7, 0, 0, 0], "gitVersion": "fake",
                "maxBsonObjectSize": MAX_BSON, "bits": 64, "debug": False}

    # -- cursors ------------------------------------------------------------------------
    def cursor_reply(self, namespace: str, documents: list, batch_size, single_batch=False, key="firstBatch"):
        size = batch_size if batch_size else DEFAULT_BATCH if key == "firstBatch" else len(documents)
        batch, rest = documents[:size], documents[size:]
        cursor_id = 0
        if rest and not single_batch:
            cursor_id = next(self.cursor_ids)
            self.cursors[cursor_id] = (namespace, rest)
        return {"cursor": {key: batch, "id": Int64(cursor_id), "ns": namespace}}

    def get_more(self, db_name, command):
        cursor_id = int(command["getMore"])
        namespace, documents = self.cursors.pop(cursor_id, (None, None))
        if namespace is None:
            raise CommandError(f"cursor id {cursor_id} not found", 43, "CursorNotFound")
        size = command.get("batchSize") or len(documents)
        batch, rest = documents[:size], documents[size:]
        if rest:
            self.cursors[cursor_id] = (namespace, rest)
        return {"cursor": {"nextBatch": batch, "id": Int64(cursor_id if rest else 0), "ns": namespace}}

    def kill_cursors(self, db_name, command):
        killed = [c for c in command.get("cursors", []) if self.cursors.pop(int(c), None)]
        return {"cursorsKilled": killed, "cursorsNotFound": [c for c in command.get("cursors", []) if c not in killed],
                "cursorsAlive": [], "cursorsUnknown": []}

    # -- reads --------------------------------------------------------------------------
    def find(self, db_name, command):
        limit = int(command.get("limit", 0))
        single = bool(command.get("singleBatch")) or limit < 0
        documents = list(self.collection(db_name, command).find(
            command.get("filter") or {}, command.get("projection") or None,
            skip=int(command.get("skip", 0)), limit=abs(limit), sort=sort_list(command.get("sort"))))
        return self.cursor_reply(f"{db_name}.{command['find']}", documents, command.get("batchSize"), single)

    def aggregate(self, db_name, command):
        if command["aggregate"] == 1:
            raise CommandError("database-level aggregate is not supported here", 115, "CommandNotSupported")
        documents = list(self.collection(db_name, command).aggregate(command.get("pipeline", [])))
        batch_size = (command.get("cursor") or {}).get("batchSize")
        return self.cursor_reply(f"{db_name}.{command['aggregate']}", documents, batch_size)

    def count(self, db_name, command):
        documents = self.collection(db_name, command).find(
            command.get("query") or {}, skip=int(command.get("skip", 0)), limit=abs(int(command.get("limit", 0))))
        return {"n": len(list(documents))}

    def distinct(self, db_name, command):
        values = self.collection(db_name, command).distinct(command["key"], command.get("query") or {})
        return {"values": values}

    # -- writes -------------------------------------------------------------------------
    def insert(self, db_name, command):
        collection = self.collection(db_name, command, create=True)
        written, errors = 0, []
        for index, document in enumerate(command.get("documents", [])):
            try:
                collection.insert_one(document)
                written += 1
            except DuplicateKeyError as exc:
                errors.append(write_error(index, duplicate_message(db_name, command, exc)))
                if command.get("ordered", True):
                    break
        return with_errors({"n": written}, errors)

    def update(self, db_name, command):
        collection = self.collection(db_name, command, create=True)
        matched = modified = 0
        upserted, errors = [], []
        for index, statement in enumerate(command.get("updates", [])):
            query, change, upsert = statement.get("q") or {}, statement.get("u"), bool(statement.get("upsert"))
            try:
                if isinstance(change, dict) and change and not next(iter(change)).startswith("$"):
                    result = collection.replace_one(query, change, upsert=upsert)
                elif statement.get("multi"):
                    result = collection.update_many(query, change, upsert=upsert,
                                                    array_filters=statement.get("arrayFilters"))
                else:
                    result = collection.update_one(query, change, upsert=upsert,
                                                   array_filters=statement.get("arrayFilters"))
            except DuplicateKeyError as exc:
                errors.append(write_error(index, duplicate_message(db_name, command, exc)))
                if command.get("ordered", True):
                    break
                continue
            if result.upserted_id is not None:
                upserted.append({"index": index, "_id": result.upserted_id})
            else:
                matched += result.matched_count
                modified += result.modified_count
        reply = {"n": matched + len(upserted), "nModified": modified}
        if upserted:
            reply["upserted"] = upserted
        return with_errors(reply, errors)

    def delete(self, db_name, command):
        collection = self.collection(db_name, command)
        removed = 0
        for statement in command.get("deletes", []):
            if int(statement.get("limit", 0)) == 1:
                removed += collection.delete_one(statement.get("q") or {}).deleted_count
            else:
                removed += collection.delete_many(statement.get("q") or {}).deleted_count
        return {"n": removed}

    def find_and_modify(self, db_name, command):
        collection = self.collection(db_name, command, create=True)
        query, sort = command.get("query") or {}, sort_list(command.get("sort"))
        projection = command.get("fields") or None
        existed = collection.find_one(query, sort=sort) is not None
        if command.get("remove"):
            value = collection.find_one_and_delete(query, projection, sort=sort)
            return {"value": value, "lastErrorObject": {"n": int(value is not None)}}
        change = command.get("update")
        if change is None:
            raise CommandError("Either an update or remove=true must be specified", 9, "FailedToParse")
        options = {"projection": projection, "sort": sort, "upsert": bool(command.get("upsert")),
                   "return_document": bool(command.get("new"))}
        if isinstance(change, dict) and change and not next(iter(change)).startswith("$"):
            value = collection.find_one_and_replace(query, change, **options)
        else:
            value = collection.find_one_and_update(query, change, **options)
        last_error = {"n": 1 if existed or options["upsert"] else 0, "updatedExisting": existed}
        if not existed and options["upsert"]:
            upserted = value if command.get("new") else collection.find_one(query, sort=sort)
            if upserted is not None and "_id" in upserted:
                last_error["upserted"] = upserted["_id"]
        return {"value": value, "lastErrorObject": last_error}

    # -- collections, indexes and databases ---------------------------------------------
    def create(self, db_name, command):
        if command["create"] in self.client[db_name].list_collection_names():
            raise CommandError(f"Collection {db_name}.{command['create']} already exists.", 48, "NamespaceExists")
        self.client[db_name].create_collection(command["create"])
        return {}

    def create_indexes(self, db_name, command):
        collection = self.collection(db_name, command, create=True)
        before = len(collection.index_information()) or 1
        for spec in command.get("indexes", []):
            options = {k: spec[k] for k in ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")
                       if k in spec}
            collection.create_index(list(spec["key"].items()), name=spec["name"], **options)
        after = len(collection.index_information())
        return {"numIndexesBefore": before, "numIndexesAfter": after, "createdCollectionAutomatically": False}

    def list_indexes(self, db_name, command):
        namespace = f"{db_name}.{command['listIndexes']}"
        if command["listIndexes"] not in self.client[db_name].list_collection_names():
            raise CommandError(f"ns does not exist: {namespace}", 26, "NamespaceNotFound")
        indexes = list(self.collection(db_name, command).list_indexes())
        return self.cursor_reply(namespace, indexes, (command.get("cursor") or {}).get("batchSize"))

    def drop_indexes(self, db_name, command):
        collection = self.collection(db_name, command)
        if command.get("index") == "*":
            collection.drop_indexes()
        else:
            collection.drop_index(command["index"])
        return {}

    def list_collections(self, db_name, command):
        found = [{"name": name, "type": "collection", "options": {}, "info": {"readOnly": False}}
                 for name in sorted(self.client[db_name].list_collection_names())]
        found = [c for c in found if filter_applies(command.get("filter") or {}, c)]
        if command.get("nameOnly"):
            found = [{"name": c["name"], "type": c["type"]} for c in found]
        return self.cursor_reply(f"{db_name}.$cmd.listCollections", found,
                                 (command.get("cursor") or {}).get("batchSize"))

    def list_databases(self, db_name, command):
        names = self.client.list_database_names()
        return {"databases": [{"name": n, "sizeOnDisk": 0, "empty": False} for n in names], "totalSize": 0}

    def drop(self, db_name, command):
        self.client[db_name].drop_collection(command["drop"])
        return {"ns": f"{db_name}.{command['drop']}"}

    def drop_database(self, db_name, command):
        self.client.drop_database(db_name)
        return {"dropped": db_name}


def sort_list(sort) -> list | None:
    return list(sort.items()) if sort else None


def error_doc(message: str, code: int, code_name: str) -> dict:
    return {"ok": 0.0, "errmsg": message, "code": code, "codeName": code_name}


def write_error(index: int, message: str) -> dict:
    return {"index": index, "code": 11000, "errmsg": message}


def with_errors(reply: dict, errors: list) -> dict:
    return {**reply, "writeErrors": errors} if errors else reply


def duplicate_message(db_name: str, command: dict, exc: Exception) -> str:
    return f"E11000 duplicate key error collection: {db_name}.{command[next(iter(command))]} ({exc})"


# -- the wire protocol -----------------------------------------------------------------
def read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise ConnectionError("client closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def parse_op_msg(payload: bytes) -> tuple[int, dict]:
    """The command of an OP_MSG: its body with document sequences (kind 1) folded in."""
    (flags,) = struct.unpack_from("<I", payload)
    end = len(payload) - (4 if flags & CHECKSUM_PRESENT else 0)
    position, body, sequences = 4, None, {}
    while position < end:
        kind = payload[position]
        position += 1
        if kind == 0:
            (size,) = struct.unpack_from("<i", payload, position)
            body = bson.decode(payload[position:position + size])
            position += size
        elif kind == 1:
            (size,) = struct.unpack_from("<i", payload, position)
            section_end = position + size
            name_end = payload.index(b"\x00", position + 4)
            identifier = payload[position + 4:name_end].decode()
            sequences[identifier] = bson.decode_all(payload[name_end + 1:section_end])
            position = section_end
        else:
            raise ValueError(f"unknown OP_MSG section kind {kind}")
    body.update(sequences)
    return flags, body


def parse_op_query(payload: bytes) -> tuple[str, dict]:
    name_end = payload.index(b"\x00", 4)
    namespace = payload[4:name_end].decode()
    position = name_end + 1 + 8  # numberToSkip, numberToReturn
    (size,) = struct.unpack_from("<i", payload, position)
    query = bson.decode(payload[position:position + size])
    if "$query" in query:
        query = query["$query"]
    return namespace.split(".", 1)[0], query


class Handler(socketserver.BaseRequestHandler):
    server: FakeMongoServer

    def handle(self) -> None:
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        backend = self.server.backend
        while True:
            try:
                length, request_id, _response_to, opcode = HEADER.unpack(read_exactly(sock, HEADER.size))
                payload = read_exactly(sock, length - HEADER.size)
            except (ConnectionError, OSError):
                return
            if opcode == OP_MSG:
                flags, command = parse_op_msg(payload)
                db_name = command.pop("$db", "admin")
                reply = backend.run(db_name, strip_envelope(command))
                if flags & MORE_TO_COME:
                    continue  # an unacknowledged write: no answer
                message = struct.pack("<IB", 0, 0) + bson.encode(reply)
                out_opcode = OP_MSG
            elif opcode == OP_QUERY:
                db_name, command = parse_op_query(payload)
                reply = backend.run(db_name, strip_envelope(command))
                message = struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(reply)
                out_opcode = OP_REPLY
            else:
                log.warning("unsupported opcode %s: closing the connection", opcode)
                return
            header = HEADER.pack(HEADER.size + len(message), request_id, request_id, out_opcode)
            try:
                sock.sendall(header + message)
            except OSError:
                return


# Fields drivers add to every command that say nothing to this server.
ENVELOPE = {"lsid", "txnNumber", "autocommit", "startTransaction", "$readPreference", "$clusterTime",
            "readConcern", "writeConcern", "maxTimeMS", "comment", "$query", "apiVersion", "apiStrict",
            "client", "compression", "saslSupportedMechs", "speculativeAuthenticate", "hint"}


def strip_envelope(command: dict) -> dict:
    return {k: v for i, (k, v) in enumerate(command.items()) if i == 0 or k not in ENVELOPE}


class FakeMongoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.backend = Backend()
        self.port = self.server_address[1]


class MongoServer:
    """The fake server as a child process, for tests: `uri(db)` names it; `stop()` ends it
    (its data with it); `start()` again serves on the same port, empty."""

    def __init__(self, port: int = 0) -> None:
        self.port, self.process = port, None

    def start(self) -> MongoServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.mongo_server", "--port", str(self.port)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        assert line.startswith("PORT "), f"the fake MongoDB server did not start: {line!r}"
        self.port = int(line.split()[1])
        return self

    def uri(self, db_name: str = "dreamdot") -> str:
        return f"mongodb://127.0.0.1:{self.port}/{db_name}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
            self.process = None

    def __enter__(self) -> MongoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake MongoDB server (wire protocol over mongomock).")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="fake-mongo %(levelname)s %(message)s")
    server = FakeMongoServer(args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"PORT {server.port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
