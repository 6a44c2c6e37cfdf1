"""OpenAPI: /api/social (likes, follow, block, mute, comments)."""

from app.openapi.common import PAGE_PARAMS, json_body, ref, reply

_user_target = {"user_id": {"type": "integer"}, "username": {"type": "string"}}


def _pair(name: str, field: str, what_post: str, what_delete: str, errors=(400, 401, 404, 429)) -> dict:
    schema = {"type": "object", "required": [field], "properties": {field: {"type": "boolean"}}}
    body = json_body(_user_target)
    body["description"] = "Name the user by `user_id` or `username` (JSON, form fields, or the query string for DELETE)."
    return {
        "post": {"summary": what_post, "requestBody": body, "responses": reply("Done", schema, 200, *errors)},
        "delete": {"summary": what_delete, "requestBody": {**body, "required": False},
                   "responses": reply("Done", schema, 200, *errors)},
    }


_likes_schema = {"type": "object", "required": ["liked", "like_count"],
                 "properties": {"liked": {"type": "boolean"}, "like_count": {"type": "integer"}}}
_post_id = json_body({"post_id": {"type": "integer"}}, ["post_id"])

PATHS = {
    "/api/social/likes": {
        "post": {"summary": "Like a post (idempotent: a second like changes nothing)", "requestBody": _post_id,
                 "responses": reply("Liked", _likes_schema, 200, 400, 401, 404, 429)},
        "delete": {"summary": "Unlike a post (idempotent)", "requestBody": _post_id,
                   "responses": reply("Not liked", _likes_schema, 200, 400, 401, 404, 429)},
    },
    "/api/social/follow": _pair("follow", "following", "Follow a user (never yourself; never across a block)",
                                "Unfollow a user"),
    "/api/social/block": _pair("block", "blocked", "Block a user: both stop seeing each other; follows "
                               "both ways are removed", "Unblock a user (follows are not restored)"),
    "/api/social/mute": _pair("mute", "muted", "Mute a user: their posts leave my feeds and their "
                              "activity makes no notification; they are not told", "Unmute a user"),
    "/api/social/comments": {
        "post": {
            "summary": "Comment on a post (1 to 2,000 characters)",
            "requestBody": json_body({"post_id": {"type": "integer"}, "body": {"type": "string"}},
                                     ["post_id", "body"]),
            "responses": reply("Created", {"type": "object", "required": ["comment"],
                                           "properties": {"comment": ref("Comment")}}, 201, 400, 401, 404, 429),
        },
        "get": {
            "summary": "A post's comments, newest first (authors blocked either way left out)",
            "security": [{"bearer": []}, {"cookie": []}, {}],
            "parameters": [{"name": "post_id", "in": "query", "required": True, "schema": {"type": "integer"}},
                           *PAGE_PARAMS],
            "responses": reply("A page of comments", {
                "type": "object", "required": ["comments", "next_cursor"],
                "properties": {"comments": {"type": "array", "items": ref("Comment")},
                               "next_cursor": {"type": "string", "nullable": True}}}, 200, 400, 404),
        },
        "delete": {
            "summary": "Delete a comment (its author or the post's author)",
            "requestBody": json_body({"comment_id": {"type": "integer"}}, ["comment_id"]),
            "responses": {"204": {"description": "Deleted"}, **reply("", {}, 200, 400, 401, 403, 404)},
        },
    },
}
PATHS["/api/social/comments"]["delete"]["responses"].pop("200")
