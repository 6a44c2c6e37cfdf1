"""OpenAPI: /api/notifications."""

from app.openapi.common import PAGE_PARAMS, json_content, ref, reply

NOTIFICATION = {
    "type": "object",
    "required": ["id", "kind", "message", "url", "actor", "created_at", "read"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["follow", "like", "comment", "mention"],
                 "description": "Other domains may add kinds; show `message` for any kind."},
        "message": {"type": "string", "description": "The sentence to show, e.g. \"Ada liked your post\"."},
        "text": {"type": "string"},
        "url": {"type": "string", "nullable": True, "description": "Where the notification points."},
        "actor": {"type": "object", "nullable": True, "properties": {
            "id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"}}},
        "target_type": {"type": "string", "nullable": True},
        "target_id": {"type": "string", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "read": {"type": "boolean"},
        "read_at": {"type": "string", "format": "date-time", "nullable": True},
    },
}

SCHEMAS = {"Notification": NOTIFICATION}

PATHS = {
    "/api/notifications": {
        "get": {
            "summary": "My notifications, newest first, with the unread count",
            "parameters": PAGE_PARAMS,
            "responses": reply("A page of notifications", {
                "type": "object", "required": ["notifications", "next_cursor", "unread"],
                "properties": {
                    "notifications": {"type": "array", "items": ref("Notification")},
                    "next_cursor": {"type": "string", "nullable": True},
                    "unread": {"type": "integer"},
                }}, 200, 400, 401),
        }
    },
    "/api/notifications/read": {
        "post": {
            "summary": "Mark notifications read: the given `ids`, or all of them when `ids` is absent",
            "requestBody": {"required": False, **json_content({
                "type": "object", "properties": {
                    "ids": {"type": "array", "maxItems": 500, "items": {"type": "integer"}}}})},
            "responses": reply("Marked", {
                "type": "object", "required": ["marked", "unread"],
                "properties": {"marked": {"type": "integer"}, "unread": {"type": "integer"}}}, 200, 400, 401),
        }
    },
}
