"""OpenAPI: /api/communities."""

from app.openapi.common import PAGE_PARAMS, error_responses, json_body, ref, reply

_slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_post_id = {"name": "post_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_reply_id = {"name": "reply_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _obj(**properties) -> dict:
    return {"type": "object", "required": list(properties), "properties": properties}


def _page(name: str, item: dict) -> dict:
    return _obj(**{name: {"type": "array", "items": item}, "next_cursor": {"type": "string", "nullable": True}})


_membership = {"allOf": [ref("CommunityMembership")], "nullable": True}
_community_reply = _obj(community=ref("Community"), membership=_membership)
_post = _obj(post=ref("CommunityPost"))
_user_body = json_body({"user_id": {"type": "integer"}, "role": {"type": "string", "enum": ["moderator", "member"]},
                        "reason": {"type": "string"}}, ["user_id"])
_reason_body = json_body({"reason": {"type": "string", "maxLength": 500}}, ["reason"])

PATHS = {
    "/api/communities": {
        "get": {
            "summary": "The directory: search by name, slug or description; sort by activity, size or age",
            "security": [{}],
            "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}},
                           {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["active", "size", "new"]}},
                           *PAGE_PARAMS],
            "responses": reply("Communities", _page("communities", ref("Community")), 200, 400),
        },
        "post": {
            "summary": "Create a community; the creator becomes its owner (multipart for icon and banner)",
            "requestBody": json_body({"name": {"type": "string"}, "slug": {"type": "string", "pattern": "^[a-z0-9-]{3,40}$"},
                                      "description": {"type": "string"},
                                      "visibility": {"type": "string", "enum": ["public", "private"]}},
                                     ["name", "slug"]),
            "responses": reply("Created", _community_reply, 201, 400, 401, 409, 413, 429, 503),
        },
    },
    "/api/communities/{slug}": {
        "get": {
            "summary": "A community and the caller's membership (null when none)",
            "security": [{}],
            "parameters": [_slug],
            "responses": reply("The community", _community_reply, 200, 404),
        }
    },
    "/api/communities/{slug}/join": {
        "post": {
            "summary": "Join a public community, or ask to join a private one (a pending membership)",
            "parameters": [_slug],
            "responses": reply("Membership", _obj(membership=ref("CommunityMembership")), 200, 401, 403, 404, 409),
        }
    },
    "/api/communities/{slug}/leave": {
        "post": {
            "summary": "Leave, or withdraw a request; the owner must transfer ownership first",
            "parameters": [_slug],
            "responses": reply("Left", _obj(membership={"type": "object", "nullable": True}), 200, 401, 404, 409),
        }
    },
    "/api/communities/{slug}/posts": {
        "get": {
            "summary": "Threads, pinned first then newest activity (members only for a private community)",
            "security": [{}],
            "parameters": [_slug, *PAGE_PARAMS],
            "responses": reply("Threads", _page("posts", ref("CommunityPost")), 200, 400, 404),
        },
        "post": {
            "summary": "Start a thread: `body` is Markdown, or `body_html` rich text; both are sanitized",
            "parameters": [_slug],
            "requestBody": json_body({"title": {"type": "string", "maxLength": 200}, "body": {"type": "string"},
                                      "body_html": {"type": "string"}}, ["title"]),
            "responses": reply("Created", _post, 201, 400, 401, 403, 404, 429),
        },
    },
    "/api/communities/posts/{post_id}": {
        "get": {
            "summary": "A thread by id alone (404 when hidden by privacy, removal or a block)",
            "security": [{}],
            "parameters": [_post_id],
            "responses": reply("The thread", _obj(post=ref("CommunityPost"), community=ref("Community")), 200, 404),
        }
    },
    "/api/communities/{slug}/posts/{post_id}": {
        "get": {"summary": "A thread", "security": [{}], "parameters": [_slug, _post_id],
                "responses": reply("The thread", _post, 200, 404)}
    },
    "/api/communities/{slug}/posts/{post_id}/replies": {
        "get": {"summary": "Replies, oldest first", "security": [{}], "parameters": [_slug, _post_id, *PAGE_PARAMS],
                "responses": reply("Replies", _page("replies", ref("CommunityReply")), 200, 400, 404)},
        "post": {"summary": "Reply (members; not to a locked thread)", "parameters": [_slug, _post_id],
                 "requestBody": json_body({"body": {"type": "string"}, "body_html": {"type": "string"}}),
                 "responses": reply("Created", _obj(reply=ref("CommunityReply")), 201, 400, 401, 403, 404, 429)},
    },
    "/api/communities/{slug}/posts/{post_id}/likes": {
        op: {"summary": summary, "parameters": [_slug, _post_id],
             "responses": reply("Like state", _obj(liked={"type": "boolean"}, like_count={"type": "integer"}),
                                200, 401, 403, 404)}
        for op, summary in (("post", "Like a thread"), ("delete", "Unlike a thread"))
    },
    **{
        f"/api/communities/{{slug}}/posts/{{post_id}}/{action}": {
            "post": {"summary": f"{action.title()} a thread (moderators)", "parameters": [_slug, _post_id],
                     "responses": reply("The thread", _post, 200, 401, 403, 404)}
        }
        for action in ("lock", "unlock", "pin", "unpin")
    },
    "/api/communities/{slug}/posts/{post_id}/remove": {
        "post": {"summary": "Remove a thread with a reason (moderators)", "parameters": [_slug, _post_id],
                 "requestBody": _reason_body,
                 "responses": {"204": {"description": "Removed"}, **error_responses(400, 401, 403, 404)}}
    },
    "/api/communities/{slug}/replies/{reply_id}/remove": {
        "post": {"summary": "Remove a reply with a reason (moderators)", "parameters": [_slug, _reply_id],
                 "requestBody": _reason_body,
                 "responses": {"204": {"description": "Removed"}, **error_responses(400, 401, 403, 404)}}
    },
    "/api/communities/{slug}/members": {
        "get": {"summary": "Active members, owner and moderators first", "security": [{}], "parameters": [_slug],
                "responses": reply("Members", _obj(members={"type": "array", "items": ref("CommunityMembership")}),
                                   200, 404)}
    },
    "/api/communities/{slug}/requests": {
        "get": {"summary": "Pending join requests (moderators)", "parameters": [_slug],
                "responses": reply("Requests", _obj(requests={"type": "array", "items": ref("CommunityMembership")}),
                                   200, 401, 403, 404)}
    },
    **{
        f"/api/communities/{{slug}}/members/{action}": {
            "post": {"summary": summary, "parameters": [_slug], "requestBody": _user_body,
                     "responses": reply("The user's membership now (null when none)", _obj(membership=_membership),
                                        200, 400, 401, 403, 404, 409)}
        }
        for action, summary in (
            ("approve", "Approve a join request (moderators)"),
            ("refuse", "Refuse a join request (moderators)"),
            ("role", "Make a member a moderator or a moderator a member (owner only)"),
            ("transfer", "Transfer ownership to an active member (owner only)"),
            ("remove", "Remove a member (moderators; moderators only by the owner)"),
            ("ban", "Ban a user, with an optional reason (moderators; never the owner)"),
            ("unban", "Lift a ban (moderators)"),
        )
    },
    "/api/communities/{slug}/log": {
        "get": {"summary": "The moderation log, newest first (moderators)", "parameters": [_slug, *PAGE_PARAMS],
                "responses": reply("Log", _page("events", {"type": "object"}), 200, 400, 401, 403, 404)}
    },
}

SCHEMAS = {
    "Community": {
        "type": "object",
        "required": ["id", "slug", "name", "visibility", "member_count"],
        "properties": {
            "id": {"type": "integer"}, "slug": {"type": "string"}, "name": {"type": "string"},
            "description": {"type": "string"}, "visibility": {"type": "string", "enum": ["public", "private"]},
            "icon_url": {"type": "string", "nullable": True}, "banner_url": {"type": "string", "nullable": True},
            "owner_id": {"type": "integer"}, "member_count": {"type": "integer"},
            "last_activity_at": {"type": "string", "format": "date-time"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "CommunityMembership": {
        "type": "object",
        "required": ["role", "status"],
        "properties": {
            "role": {"type": "string", "enum": ["owner", "moderator", "member"]},
            "status": {"type": "string", "enum": ["active", "pending", "banned"]},
            "user_id": {"type": "integer"}, "community_id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "CommunityPost": {
        "type": "object",
        "required": ["id", "author", "title", "body_html", "created_at"],
        "properties": {
            "id": {"type": "integer"}, "community_id": {"type": "integer"}, "author": ref("User"),
            "title": {"type": "string"}, "body_html": {"type": "string"}, "pinned": {"type": "boolean"},
            "locked": {"type": "boolean"}, "reply_count": {"type": "integer"}, "like_count": {"type": "integer"},
            "liked_by_me": {"type": "boolean"}, "last_activity_at": {"type": "string", "format": "date-time"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "CommunityReply": {
        "type": "object",
        "required": ["id", "post_id", "author", "body_html", "created_at"],
        "properties": {
            "id": {"type": "integer"}, "post_id": {"type": "integer"}, "author": ref("User"),
            "body_html": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
        },
    },
}
