"""OpenAPI: /api/users."""

from app.openapi.common import ref, reply

PATHS = {
    "/api/users/{username}": {
        "get": {
            "summary": "A user's public profile",
            "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": reply("The profile", {
                "type": "object", "required": ["user", "is_following", "is_blocked"],
                "properties": {"user": ref("User"), "is_following": {"type": "boolean"},
                               "is_blocked": {"type": "boolean"}}}, 200, 404),
        }
    },
    "/api/users/me": {
        "patch": {
            "summary": "Edit my profile (JSON, or multipart with avatar and banner files)",
            "requestBody": {"content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "display_name": {"type": "string"}, "bio": {"type": "string"}}}},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "display_name": {"type": "string"}, "bio": {"type": "string"},
                    "avatar": {"type": "string", "format": "binary"},
                    "banner": {"type": "string", "format": "binary"}}}},
            }},
            "responses": reply("Saved", {"type": "object", "required": ["user"],
                               "properties": {"user": ref("User")}}, 200, 400, 401, 413, 503),
        }
    },
}
