"""OpenAPI: /api/chat (end-to-end encrypted chat). The websocket protocol at /chat/ws is
described in api.md and docs/chat-security.md."""

from app.openapi.common import error_responses, json_body, ref, reply

B64 = {"type": "string", "format": "byte"}
ID = {"name": "conversation_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _obj(required, **properties):
    return {"type": "object", "required": list(required), "properties": properties}


KEY = _obj(["public_key", "fingerprint"], public_key=B64, fingerprint={"type": "string"})
BACKUP = _obj(["salt", "iterations", "nonce", "ciphertext"], salt=B64,
              iterations={"type": "integer", "minimum": 600000}, nonce=B64, ciphertext=B64)
ENVELOPES = _obj(["epoch", "keys"], epoch={"type": "integer"}, keys={"type": "array", "items": _obj(
    ["member_id", "nonce", "wrapped_key"], member_id={"type": "integer"}, nonce=B64, wrapped_key=B64)})

SCHEMAS = {
    "Conversation": _obj(
        ["id", "kind", "member_ids", "epoch"], id={"type": "string"},
        kind={"type": "string", "enum": ["direct", "community"]},
        member_ids={"type": "array", "items": {"type": "integer"}}, epoch={"type": "integer"},
        title={"type": "string", "nullable": True}, community_slug={"type": "string", "nullable": True},
        unread={"type": "integer"}, last_seq={"type": "integer"},
        last_message_at={"type": "string", "format": "date-time", "nullable": True},
        read_seqs={"type": "object", "additionalProperties": {"type": "integer"}},
        delivered_seqs={"type": "object", "additionalProperties": {"type": "integer"}},
        waiting_for_keys={"type": "boolean", "description": "community: no key for the current epoch yet"}),
    "Message": _obj(
        ["id", "conversation_id", "sender_id", "client_msg_id", "nonce", "ciphertext", "epoch", "created_at"],
        id={"type": "string"}, conversation_id={"type": "string"}, sender_id={"type": "integer"},
        client_msg_id={"type": "string"}, nonce=B64, ciphertext=B64, epoch={"type": "integer"},
        created_at={"type": "string", "format": "date-time"}, seq={"type": "integer"},
        sender_key={**B64, "nullable": True}, recipient_key={**B64, "nullable": True}),
}

CONVERSATION = _obj(["conversation"], conversation=ref("Conversation"))

PATHS = {
    "/api/chat/ticket": {"post": {
        "summary": "A single-use ticket for the websocket, `/chat/ws?ticket=` (valid at most 60 s)",
        "description": "The ticket belongs to the session that asked for it and is refused once that "
                       "session ends. A long-lived API token is not accepted in the websocket's URL.",
        "responses": reply("The ticket", _obj(["ticket", "expires_in"], ticket={"type": "string"},
                           expires_in={"type": "integer", "maximum": 60}), 200, 401)}},
    "/api/chat/keys": {"put": {
        "summary": "Register my public key (X25519, made in the browser)",
        "requestBody": json_body({"public_key": B64}, ["public_key"]),
        "responses": reply("Registered", KEY, 200, 400, 401)}},
    "/api/chat/keys/{user_id}": {"get": {
        "summary": "A user's public key",
        "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": reply("The key", _obj(["user_id", "public_key", "fingerprint", "updated_at"],
                           user_id={"type": "integer"}, public_key=B64, fingerprint={"type": "string"},
                           updated_at={"type": "string", "format": "date-time"}), 200, 401, 404)}},
    "/api/chat/key-backup": {
        "put": {"summary": "Store my secret key sealed with a passphrase (secretbox, PBKDF2-SHA256)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": BACKUP}}},
                "responses": reply("Stored", BACKUP, 200, 400, 401)},
        "get": {"summary": "My sealed key backup", "responses": reply("The backup", BACKUP, 200, 401, 404)}},
    "/api/chat/conversations": {
        "post": {"summary": "Open the 1-on-1 conversation with a user, or a community's conversation",
                 "requestBody": json_body({"member_ids": {"type": "array", "items": {"type": "integer"}},
                                           "community_slug": {"type": "string"}}),
                 "responses": {**reply("Created", CONVERSATION, 201, 400, 401, 403, 404),
                               **reply("Already existed", CONVERSATION, 200)}},
        "get": {"summary": "My conversations with unread counts",
                "responses": reply("The list", _obj(["conversations"], conversations={
                    "type": "array", "items": ref("Conversation")}), 200, 401)}},
    "/api/chat/conversations/{conversation_id}": {"get": {
        "summary": "One conversation (members only)", "parameters": [ID],
        "responses": reply("The conversation", CONVERSATION, 200, 401, 403, 404)}},
    "/api/chat/conversations/{conversation_id}/messages": {"get": {
        "summary": "Messages in order, after the message id `after` (offline catch-up)",
        "parameters": [ID, {"name": "after", "in": "query", "schema": {"type": "string"}},
                       {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
        "responses": reply("Messages", _obj(["messages"], messages={"type": "array", "items": ref("Message")},
                           next_cursor={"type": "string", "nullable": True}), 200, 400, 401, 403, 404)}},
    "/api/chat/conversations/{conversation_id}/keys": {
        "put": {"summary": "Give members the epoch key, wrapped with box for each (community)",
                "parameters": [ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": ENVELOPES}}},
                "responses": {"204": {"description": "Stored"},
                              **error_responses(400, 401, 403, 404, 409)}},
        "get": {"summary": "My wrapped epoch keys, every epoch I was given one", "parameters": [ID],
                "responses": reply("Envelopes", _obj(["epoch", "keys"], epoch={"type": "integer"}, keys={
                    "type": "array", "items": _obj(["epoch", "sender_id", "sender_public_key", "nonce", "wrapped_key"],
                                                   epoch={"type": "integer"}, sender_id={"type": "integer"},
                                                   sender_public_key=B64, nonce=B64, wrapped_key=B64)}),
                                   200, 401, 403, 404)}},
    "/api/chat/media": {"post": {
        "summary": "Upload an encrypted file (ciphertext only, up to 25 MB)",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["blob"], "properties": {"blob": {"type": "string", "format": "binary"}}}}}},
        "responses": reply("Stored", _obj(["blob_id"], blob_id={"type": "string"}, size={"type": "integer"}),
                           201, 400, 401, 413)}},
    "/api/chat/media/{blob_id}": {"get": {
        "summary": "An encrypted file, for its uploader and members of a conversation that references it",
        "parameters": [{"name": "blob_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The ciphertext", "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}, **error_responses(401, 404)}}},
}
