"""OpenAPI: /api/analytics and /api/reports."""

from app.openapi.common import reply

_SERIES = {
    "type": "object", "required": ["total", "daily"],
    "properties": {
        "total": {"type": "integer"},
        "daily": {"type": "array", "items": {"type": "object", "required": ["date", "value"], "properties": {
            "date": {"type": "string", "format": "date"}, "value": {"type": "integer"}}}},
    },
}
_METRICS = ("views", "likes", "comments", "followers_gained", "followers_lost", "followers_total",
            "earnings_cents", "sales", "subscribers", "subscribers_lapsed", "subscription_cents", "refunds_cents")

SCHEMAS = {
    "Series": _SERIES,
    "AnalyticsSummary": {
        "type": "object",
        "required": ["range", "views", "likes", "comments", "followers_gained", "followers_lost",
                     "followers_total", "earnings_cents", "sales", "subscribers"],
        "properties": {
            "range": {"type": "object", "properties": {
                "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                "days": {"type": "integer"}}},
            **{name: {"$ref": "#/components/schemas/Series"} for name in _METRICS},
            "mrr_cents": {"type": "integer", "description": "Monthly recurring revenue now, net of fees"},
            "active_subscribers": {"type": "integer"},
        },
        "description": "Money is integer cents from the ledger entries of the creator's earnings account "
                       "(net of the platform fee). `followers_total` is the count at the end of each day "
                       "and its total the count at the end of the range.",
    },
    "Report": {"type": "object", "required": ["id", "status"], "properties": {
        "id": {"type": "integer"}, "status": {"type": "string", "enum": ["open", "dismissed", "removed", "suspended"]},
        "target_type": {"type": "string"}, "target_id": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"}}},
}

PATHS = {
    "/api/analytics/summary": {
        "get": {
            "summary": "The signed-in creator's analytics for a range of days (UTC)",
            "parameters": [
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "First day; default 29 days before `to`"},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "Last day (inclusive); default today. At most 366 days in all."},
            ],
            "responses": reply("Per-day figures and totals", {"$ref": "#/components/schemas/AnalyticsSummary"},
                               200, 400, 401),
        }
    },
    "/api/reports": {
        "post": {
            "summary": "Report a post, comment, item, community thread or user",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["target_type", "target_id", "reason"], "properties": {
                    "target_type": {"type": "string", "enum": ["post", "comment", "item", "community_post", "user"]},
                    "target_id": {"type": "integer"}, "reason": {"type": "string", "minLength": 3, "maxLength": 1000}}}}}},
            "responses": reply("Filed (or the reporter's open report of the same target)", {
                "type": "object", "required": ["report"],
                "properties": {"report": {"$ref": "#/components/schemas/Report"}}}, 201, 400, 401, 404, 429),
        }
    },
}
