"""OpenAPI: /api/auth."""

from app.openapi.common import error_responses, json_body, json_content, ref, reply

_session = {"type": "object", "required": ["user", "token"],
            "properties": {"user": ref("User"), "token": {"type": "string"}}}

_mail_off = {"503": {"description": "Mail is not configured on this DreamDot, so reset is off "
                                   "(code mail_not_configured)", **json_content(ref("Error"))}}

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
    "/api/auth/password-reset": {
        "post": {
            "summary": "Ask for a password reset link by mail",
            "description": "202 whether or not an account uses the address (a mail is sent only when one "
                           "does, to the address on file), so the answer never tells which addresses have "
                           "accounts. The link works once, for an hour; a second request within a minute "
                           "sends no second mail, and a newer link replaces the older one. 400 only for "
                           "something that is not an email address.",
            "security": [{}],
            "requestBody": json_body({"email": {"type": "string"}}, ["email"]),
            "responses": {**reply("Accepted", {"type": "object", "required": ["message"],
                                               "properties": {"message": {"type": "string"}}}, 202, 400),
                          **_mail_off},
        }
    },
    "/api/auth/password-reset/confirm": {
        "post": {
            "summary": "Set a new password with the token from the reset mail",
            "description": "Every browser session and API token of the account is revoked and its failed "
                           "sign-ins are forgotten; sign in again with the new password. 400 `invalid_token` "
                           "when the token is used, expired or unknown (nothing changes); 400 "
                           "`validation_failed` with `fields.password` when the password breaks the sign-up "
                           "rules (the token stays usable).",
            "security": [{}],
            "requestBody": json_body({"token": {"type": "string"}, "password": {"type": "string"}},
                                     ["token", "password"]),
            "responses": {**reply("Password changed", {"type": "object", "required": ["user"],
                                                       "properties": {"user": ref("User")}}, 200, 400),
                          **error_responses()},
        }
    },
}
