"""OpenAPI: /api/auth."""

from app.openapi.common import json_body, ref, reply

_session = {"type": "object", "required": ["user", "token"],
            "properties": {"user": ref("User"), "token": {"type": "string"}}}

PATHS = {
    "/api/auth/signup": {
        "post": {
            "summary": "Create an account; returns a bearer token",
            "security": [{}],
            "requestBody": json_body(
                {"username": {"type": "string"}, "email": {"type": "string"},
                 "password": {"type": "string"}, "display_name": {"type": "string"}},
                ["username", "email", "password"],
            ),
            "responses": reply("Created", _session, 201, 400, 409, 429),
        }
    },
    "/api/auth/signin": {
        "post": {
            "summary": "Sign in with username or email; returns a bearer token",
            "description": "After five failed sign-ins in a row an account waits 1, 2, 4 ... minutes (at most an "
                           "hour): 429 `too_many_attempts` with `Retry-After`, the password not checked. A client "
                           "that keeps the `dreamdot_device` cookie of an earlier success skips the wait.",
            "security": [{}],
            "requestBody": json_body({"login": {"type": "string"}, "password": {"type": "string"}},
                                     ["login", "password"]),
            "responses": reply("Signed in", _session, 200, 400, 401, 403, 429),
        }
    },
    "/api/auth/me": {
        "get": {
            "summary": "The signed-in user and their balance",
            "responses": reply("The user", {"type": "object", "required": ["user", "balance"],
                               "properties": {"user": ref("User"), "balance": ref("Balance")}}, 200, 401),
        }
    },
    "/api/auth/signout": {
        "post": {
            "summary": "End this session or revoke this bearer token",
            "responses": {"204": {"description": "Signed out"},
                          "401": {"description": "Not signed in", "content": {"application/json": {"schema": ref("Error")}}}},
        }
    },
}
