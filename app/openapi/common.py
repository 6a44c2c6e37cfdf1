"""Pieces every part of the OpenAPI document shares."""

from __future__ import annotations


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def json_body(properties: dict, required: list[str] | None = None) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": True}
    if required:
        schema["required"] = required
    return {"required": True, **json_content(schema)}


def error_responses(*statuses: int) -> dict:
    texts = {400: "Bad input", 401: "Not signed in", 402: "Insufficient funds", 403: "Not allowed",
             404: "Not found or hidden", 409: "Conflict", 413: "Too large", 429: "Too many requests",
             503: "Busy (too many images being processed) or a store unavailable: try again after Retry-After"}
    return {str(s): {"description": texts.get(s, "Error"), **json_content(ref("Error"))} for s in statuses}


def reply(description: str, schema: dict, status: int = 200, *errors: int) -> dict:
    return {str(status): {"description": description, **json_content(schema)}, **error_responses(*errors)}


PAGE_PARAMS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]


COMMON_SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    },
    "User": {
        "type": "object",
        "required": ["id", "username", "display_name", "bio", "avatar_url", "banner_url",
                     "created_at", "followers_count", "following_count"],
        "properties": {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "bio": {"type": "string"},
            "avatar_url": {"type": "string", "nullable": True},
            "banner_url": {"type": "string", "nullable": True},
            "created_at": {"type": "string", "format": "date-time"},
            "followers_count": {"type": "integer"},
            "following_count": {"type": "integer"},
        },
    },
    "Balance": {
        "type": "object",
        "required": ["credit_cents", "earnings_cents", "total_cents"],
        "properties": {
            "credit_cents": {"type": "integer"},
            "earnings_cents": {"type": "integer"},
            "total_cents": {"type": "integer"},
        },
    },
}
