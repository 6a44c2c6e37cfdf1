"""The fake MongoDB server (tests/fakes/mongo_server.py) as pymongo and mongoengine see it:
what DreamDot's documents do through it behaves as on MongoDB, duplicates included."""

from __future__ import annotations

import mongoengine as me
import pymongo
import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure

from tests.fakes.mongo_server import MongoServer


@pytest.fixture(scope="module")
def server():
    with MongoServer() as running:
        yield running


@pytest.fixture
def mongo(server):
    client = pymongo.MongoClient(server.uri(), serverSelectionTimeoutMS=2000, tz_aware=True,
                                 uuidRepresentation="standard")
    yield client.fake_tests
    client.drop_database("fake_tests")
    client.close()


def test_insert_find_sort_limit_skip_projection_and_get_more(mongo):
    mongo.things.insert_many([{"n": i, "odd": i % 2} for i in range(250)])
    assert [d["n"] for d in mongo.things.find({"odd": 1}).sort("n", -1).limit(3)] == [249, 247, 245]
    assert mongo.things.find_one({"n": 7}, {"_id": 0}) == {"n": 7, "odd": 1}
    assert [d["n"] for d in mongo.things.find().sort("n").skip(10).limit(2)] == [10, 11]
    # More than a batch: the cursor is continued with getMore, then killed when left early.
    assert [d["n"] for d in mongo.things.find().sort("n").batch_size(40)] == list(range(250))
    cursor = mongo.things.find().batch_size(10)
    next(cursor)
    cursor.close()
    assert mongo.things.count_documents({"odd": 0}) == 125
    assert mongo.things.estimated_document_count() == 250
    assert sorted(mongo.things.distinct("odd")) == [0, 1]


def test_a_unique_index_refuses_a_duplicate_with_code_11000(mongo):
    mongo.keys.create_index([("user_id", 1), ("client_msg_id", 1)], unique=True)
    mongo.keys.insert_one({"user_id": 1, "client_msg_id": "a"})
    with pytest.raises(DuplicateKeyError) as caught:
        mongo.keys.insert_one({"user_id": 1, "client_msg_id": "a"})
    assert caught.value.code == 11000
    mongo.keys.insert_one({"user_id": 2, "client_msg_id": "a"})
    with pytest.raises(DuplicateKeyError):
        mongo.keys.update_one({"user_id": 2}, {"$set": {"user_id": 1}})
    with pytest.raises(DuplicateKeyError):
        mongo.keys.find_one_and_update({"user_id": 2}, {"$set": {"user_id": 1}})
    assert mongo.keys.count_documents({}) == 2
    names = {index["name"]: index.get("unique", False) for index in mongo.keys.list_indexes()}
    assert names == {"_id_": False, "user_id_1_client_msg_id_1": True}


def test_update_upsert_find_and_modify_delete_and_aggregate(mongo):
    mongo.c.insert_many([{"k": "a", "seq": 0}, {"k": "b", "seq": 0}])
    result = mongo.c.update_one({"k": "a"}, {"$inc": {"seq": 1}})
    assert (result.matched_count, result.modified_count) == (1, 1)
    assert mongo.c.update_one({"k": "z"}, {"$set": {"seq": 5}}, upsert=True).upserted_id is not None
    assert mongo.c.update_many({}, {"$set": {"seen": True}}).modified_count == 3
    bumped = mongo.c.find_one_and_update({"k": "a"}, {"$inc": {"seq": 1}},
                                         return_document=pymongo.ReturnDocument.AFTER)
    assert bumped["seq"] == 2
    assert mongo.c.find_one_and_update({"k": "none"}, {"$inc": {"seq": 1}}) is None
    assert mongo.c.replace_one({"k": "b"}, {"k": "b", "seq": 9}).modified_count == 1
    totals = list(mongo.c.aggregate([{"$match": {"seq": {"$gt": 0}}},
                                     {"$group": {"_id": None, "total": {"$sum": "$seq"}}}]))
    assert totals == [{"_id": None, "total": 16}]
    assert mongo.c.delete_one({"k": "a"}).deleted_count == 1
    assert mongo.c.delete_many({}).deleted_count == 2
    assert mongo.list_collection_names() == ["c"]
    mongo.c.drop()
    assert mongo.list_collection_names() == []


def test_an_unknown_command_is_refused_not_hung(mongo):
    with pytest.raises(OperationFailure) as caught:
        mongo.command("noSuchCommand")
    assert caught.value.code == 59
    assert mongo.command("ping")["ok"] == 1


def test_dreamdot_documents_through_mongoengine(server):
    from app.documents.chat import Conversation, Message

    me.connect(host=server.uri("fake_me"), alias="fake", tz_aware=True, uuidRepresentation="standard",
               serverSelectionTimeoutMS=2000)
    try:
        with me.context_managers.switch_db(Conversation, "fake") as Conv, \
                me.context_managers.switch_db(Message, "fake") as Msg:
            conversation = Conv(kind="direct", key="direct:1:2", member_ids=[1, 2]).save()
            with pytest.raises(me.NotUniqueError):
                Conv(kind="direct", key="direct:1:2", member_ids=[1, 2]).save()
            seq = Conv.objects(id=conversation.id).modify(inc__last_seq=1, new=True).last_seq
            fields = {"conversation_id": str(conversation.id), "sender_id": 1, "nonce": "n", "ciphertext": "c"}
            Msg(seq=seq, client_msg_id="m1", **fields).save()
            with pytest.raises(me.NotUniqueError):  # the same client_msg_id is stored once
                Msg(seq=seq + 1, client_msg_id="m1", **fields).save()
            assert Msg.objects(conversation_id=str(conversation.id)).count() == 1
            assert Conv.objects(member_ids=2).first().last_seq == 1
    finally:
        me.connection.get_connection("fake").drop_database("fake_me")
        me.disconnect("fake")


def test_the_legacy_op_query_handshake_is_answered(server):
    """Drivers may open with `isMaster` in an OP_QUERY on admin.$cmd before switching to OP_MSG."""
    import socket
    import struct

    import bson

    query = bson.encode({"isMaster": 1, "client": {"driver": {"name": "test"}}})
    body = struct.pack("<i", 0) + b"admin.$cmd\x00" + struct.pack("<ii", 0, -1) + query
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(struct.pack("<iiii", 16 + len(body), 7, 0, 2004) + body)
        header = sock.recv(16, socket.MSG_WAITALL)
        length, _request_id, response_to, opcode = struct.unpack("<iiii", header)
        payload = sock.recv(length - 16, socket.MSG_WAITALL)
    assert (response_to, opcode) == (7, 1)  # OP_REPLY to our request
    _flags, cursor_id, _start, returned = struct.unpack_from("<iqii", payload)
    reply = bson.decode(payload[20:])
    assert (cursor_id, returned) == (0, 1)
    assert reply["ok"] == 1 and reply["ismaster"] is True and reply["maxWireVersion"] >= 8
