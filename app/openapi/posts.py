"""OpenAPI: /api/posts."""

from app.openapi.common import PAGE_PARAMS, json_body, ref, reply

_post = {"type": "object", "required": ["post"], "properties": {"post": ref("Post")}}
_page = {"type": "object", "required": ["posts", "next_cursor"],
         "properties": {"posts": {"type": "array", "items": ref("Post")},
                        "next_cursor": {"type": "string", "nullable": True}}}
_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]

PATHS = {
    "/api/posts/create": {
        "post": {
            "summary": "Write a post (1 to 5,000 characters; up to 4 images with alt text)",
            "requestBody": {"required": True, "content": {
                **json_body({"body": {"type": "string", "minLength": 1, "maxLength": 5000},
                             "content_warning": {"type": "string", "maxLength": 200}}, ["body"])["content"],
                "multipart/form-data": {"schema": {"type": "object", "required": ["body"], "properties": {
                    "body": {"type": "string"}, "content_warning": {"type": "string"},
                    "images": {"type": "array", "maxItems": 4, "items": {"type": "string", "format": "binary"}},
                    "alt_texts": {"type": "array", "items": {"type": "string"},
                                  "description": "Alt text of each image, in the order of `images`."}}}},
            }},
            "responses": reply("Created", _post, 201, 400, 401, 413, 429, 503),
        }
    },
    "/api/posts/feed": {
        "get": {
            "summary": "Home feed: my posts and those of people I follow, newest first "
                       "(muted and blocked authors left out)",
            "parameters": PAGE_PARAMS,
            "responses": reply("A page of posts", _page, 200, 400, 401),
        }
    },
    "/api/posts/explore": {
        "get": {
            "summary": "Recent posts from everyone, newest first (blocked and muted authors left out)",
            "security": [{"bearer": []}, {"cookie": []}, {}],
            "parameters": PAGE_PARAMS,
            "responses": reply("A page of posts", _page, 200, 400),
        }
    },
    "/api/posts/{id}": {
        "get": {
            "summary": "One post (404 when missing or hidden by a block)",
            "parameters": _id,
            "responses": reply("The post", _post, 200, 404),
        },
        "delete": {
            "summary": "Delete my post with its comments, likes and images",
            "parameters": _id,
            "responses": {"204": {"description": "Deleted"}, **reply("", {}, 200, 401, 403, 404)},
        },
    },
}
PATHS["/api/posts/{id}"]["delete"]["responses"].pop("200")

SCHEMAS = {
    "Post": {
        "type": "object",
        "required": ["id", "author", "body", "image_urls", "created_at", "like_count",
                     "comment_count", "liked_by_me"],
        "properties": {
            "id": {"type": "integer"},
            "author": ref("User"),
            "body": {"type": "string", "description": "Plain text as written; clients escape it."},
            "content_warning": {"type": "string", "nullable": True},
            "image_urls": {"type": "array", "items": {"type": "string"}},
            "images": {"type": "array", "items": {"type": "object", "properties": {
                "url": {"type": "string"}, "alt": {"type": "string"}}}},
            "created_at": {"type": "string", "format": "date-time"},
            "like_count": {"type": "integer"},
            "comment_count": {"type": "integer"},
            "liked_by_me": {"type": "boolean"},
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "post_id", "author", "body", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "post_id": {"type": "integer"},
            "author": ref("User"),
            "body": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
}
