"""OpenAPI: the marketplace (/api/items, reviews, favorites)."""

from app.openapi.common import PAGE_PARAMS, error_responses, json_body, ref, reply

_id = [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_item_reply = {"type": "object", "required": ["item"], "properties": {"item": ref("Item")}}
_fields = {
    "kind": {"type": "string", "enum": ["download", "writing", "art", "comic"]},
    "title": {"type": "string", "maxLength": 120},
    "description": {"type": "string", "maxLength": 5000},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
    "pricing": {"type": "string", "enum": ["free", "one_time", "subscription"]},
    "price_cents": {"type": "integer", "minimum": 0, "maximum": 10_000_000,
                    "description": "Above 0 for one_time; ignored (0) otherwise."},
    "body_html": {"type": "string", "description": "writing: HTML, sanitized on the way in. A paragraph "
                  "holding only ---paywall--- ends the free preview."},
    "body_markdown": {"type": "string", "description": "writing: Markdown instead of body_html."},
    "publish": {"type": "boolean", "default": True, "description": "false keeps a private draft."},
    "free_pages": {"type": "integer", "minimum": 0, "description": "comic: first pages free to all."},
    "chapter_title": {"type": "string"},
}
_multipart = {
    **_fields,
    "files": {"type": "array", "items": {"type": "string", "format": "binary"},
              "description": "download: the files (MAX_DOWNLOAD_BYTES each); art: the images."},
    "pages": {"type": "array", "items": {"type": "string", "format": "binary"},
              "description": "comic: page images in reading order."},
    "page_numbers": {"type": "array", "items": {"type": "integer"},
                     "description": "comic, optional: must run 1, 2, 3 ... in upload order."},
    "alts": {"type": "array", "items": {"type": "string"}, "description": "alt text per image or page."},
    "transcripts": {"type": "array", "items": {"type": "string"}, "description": "comic: per page."},
    "cover": {"type": "string", "format": "binary"},
}


def _body(required=None):
    return {"required": True, "content": {
        "application/json": json_body(_fields, required)["content"]["application/json"],
        "multipart/form-data": {"schema": {"type": "object", "properties": _multipart}},
    }}


_review = {"type": "object", "properties": {
    "id": {"type": "integer"}, "item_id": {"type": "integer"}, "user_id": {"type": "integer"},
    "rating": {"type": "integer", "minimum": 1, "maximum": 5}, "body": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"}}}
_favorite = {"type": "object", "required": ["favorited", "favorite_count"],
             "properties": {"favorited": {"type": "boolean"}, "favorite_count": {"type": "integer"}}}
_list = {"type": "object", "required": ["items", "next_cursor"],
         "properties": {"items": {"type": "array", "items": ref("Item")},
                        "next_cursor": {"type": "string", "nullable": True}}}

PATHS = {
    "/api/items/create": {
        "post": {
            "summary": "Create an item (published unless publish is false)",
            "requestBody": _body(["kind", "title", "pricing"]),
            "responses": reply("Created", _item_reply, 201, 400, 401, 413, 429, 503),
        }
    },
    "/api/items/{item_id}": {
        "get": {
            "summary": "An item; its content only for the creator and the entitled",
            "parameters": _id,
            "responses": reply("The item", {
                "type": "object", "required": ["item", "content", "locked"],
                "properties": {"item": ref("Item"),
                               "content": {"type": "object", "nullable": True,
                                           "description": "Full content with signed file URLs."},
                               "preview": {"type": "object", "description": "What everyone may see."},
                               "locked": {"type": "boolean"}}}, 200, 404),
        },
        "put": {
            "summary": "Change an item (creator only); files and images are added, not replaced",
            "parameters": _id,
            "requestBody": _body(),
            "responses": reply("Saved", _item_reply, 200, 400, 401, 403, 404, 413, 503),
        },
        "delete": {
            "summary": "Delete an item (creator only); buyers keep access",
            "parameters": _id,
            "responses": {"204": {"description": "Deleted"}, **error_responses(401, 403, 404)},
        },
    },
    "/api/items": {
        "get": {
            "summary": "Browse and search items (keyset pages)",
            "parameters": [
                {"name": "kind", "in": "query", "schema": _fields["kind"]},
                {"name": "creator", "in": "query", "schema": {"type": "string"}, "description": "username"},
                {"name": "q", "in": "query", "schema": {"type": "string"},
                 "description": "full-text search over title, description and tags (word prefixes)"},
                {"name": "tag", "in": "query", "schema": {"type": "string"}},
                {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["new", "popular"]}},
                *PAGE_PARAMS,
            ],
            "security": [{}, {"bearer": []}, {"cookie": []}],
            "responses": reply("A page of items", _list, 200, 400, 404),
        }
    },
    "/api/items/{item_id}/reviews": {
        "post": {
            "summary": "Review an item once (1 to 5): the entitled for a paid item, anyone for a free one",
            "parameters": _id,
            "requestBody": json_body({"rating": {"type": "integer", "minimum": 1, "maximum": 5},
                                      "body": {"type": "string", "maxLength": 5000}}, ["rating"]),
            "responses": reply("Created", {"type": "object", "properties": {
                "review": _review, "rating_avg": {"type": "number", "nullable": True},
                "review_count": {"type": "integer"}}}, 201, 400, 401, 403, 404, 409),
        },
        "get": {
            "summary": "An item's reviews, newest first",
            "parameters": [*_id, *PAGE_PARAMS],
            "responses": reply("Reviews", {"type": "object", "properties": {
                "reviews": {"type": "array", "items": _review},
                "next_cursor": {"type": "string", "nullable": True}}}, 200, 400, 404),
        },
    },
    "/api/items/{item_id}/favorite": {
        "post": {"summary": "Favorite an item (idempotent)", "parameters": _id,
                 "responses": reply("State", _favorite, 200, 401, 404)},
        "delete": {"summary": "Remove a favorite (idempotent)", "parameters": _id,
                   "responses": reply("State", _favorite, 200, 401, 404)},
    },
    "/api/favorites": {
        "get": {"summary": "My favorite items", "parameters": PAGE_PARAMS,
                "responses": reply("A page of items", _list, 200, 400, 401)},
    },
}

SCHEMAS = {
    "Item": {
        "type": "object",
        "required": ["id", "kind", "title", "description", "creator", "pricing", "price_cents", "cover_url",
                     "created_at", "rating_avg", "review_count", "owned"],
        "properties": {
            "id": {"type": "integer"},
            "kind": _fields["kind"],
            "title": {"type": "string"},
            "description": {"type": "string"},
            "creator": ref("User"),
            "pricing": _fields["pricing"],
            "price_cents": {"type": "integer"},
            "cover_url": {"type": "string", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "rating_avg": {"type": "number", "nullable": True},
            "review_count": {"type": "integer"},
            "owned": {"type": "boolean", "description": "The viewer holds an active entitlement."},
            "tags": {"type": "array", "items": {"type": "string"}},
            "status": {"type": "string", "enum": ["draft", "published"]},
            "published_at": {"type": "string", "format": "date-time", "nullable": True},
            "favorite_count": {"type": "integer"},
        },
    }
}
