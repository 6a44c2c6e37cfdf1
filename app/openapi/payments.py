"""OpenAPI: purchases, subscriptions, top-ups, payouts, refunds and transaction history."""

from app.openapi.common import PAGE_PARAMS, json_body, ref, reply

_cents = {"type": "integer", "minimum": 0}

SCHEMAS = {
    "Purchase": {
        "type": "object",
        "required": ["id", "item_id", "buyer_id", "creator_id", "price_cents", "status", "created_at"],
        "properties": {
            "id": {"type": "integer"}, "item_id": {"type": "integer"}, "buyer_id": {"type": "integer"},
            "creator_id": {"type": "integer"}, "price_cents": _cents, "fee_cents": _cents,
            "from_credit_cents": _cents, "from_earnings_cents": _cents,
            "status": {"type": "string", "enum": ["paid", "refunded"]},
            "created_at": {"type": "string", "format": "date-time"},
            "refunded_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
    "Subscription": {
        "type": "object",
        "required": ["id", "subscriber_id", "creator_id", "status", "price_cents", "current_period_end"],
        "properties": {
            "id": {"type": "integer"}, "subscriber_id": {"type": "integer"}, "creator_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["active", "grace", "lapsed", "cancelled"]},
            "price_cents": _cents,
            "current_period_start": {"type": "string", "format": "date-time"},
            "current_period_end": {"type": "string", "format": "date-time"},
            "grace_until": {"type": "string", "format": "date-time", "nullable": True},
            "cancelled_at": {"type": "string", "format": "date-time", "nullable": True},
            "has_access": {"type": "boolean"},
        },
    },
    "Payout": {
        "type": "object",
        "required": ["id", "amount_cents", "status"],
        "properties": {
            "id": {"type": "integer"}, "amount_cents": _cents,
            "status": {"type": "string", "enum": ["pending", "sending", "paid", "failed", "rejected"]},
            "destination": {"type": "string", "enum": ["stripe", "manual"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "RefundRequest": {
        "type": "object",
        "required": ["id", "purchase_id", "status", "created_at"],
        "properties": {
            "id": {"type": "integer"}, "purchase_id": {"type": "integer"}, "item_id": {"type": "integer"},
            "buyer_id": {"type": "integer"}, "creator_id": {"type": "integer"}, "reason": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "accepted", "declined"]},
            "answer": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
            "decided_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
    "LedgerLine": {
        "type": "object",
        "required": ["id", "kind", "amount_cents", "account", "created_at", "memo"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["signup_grant", "topup", "purchase", "refund", "subscription",
                                                "payout", "payout_reversal"]},
            "amount_cents": {"type": "integer", "description": "Signed: positive into the account"},
            "account": {"type": "string", "enum": ["credit", "earnings"]},
            "created_at": {"type": "string", "format": "date-time"},
            "memo": {"type": "string"},
        },
    },
}

_purchase_reply = {"type": "object", "required": ["purchase", "balance"],
                   "properties": {"purchase": ref("Purchase"), "balance": ref("Balance")}}
_subscription_reply = {"type": "object", "required": ["subscription"],
                       "properties": {"subscription": ref("Subscription"), "balance": ref("Balance")}}
_item_id = [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_purchase_id = [{"name": "purchase_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_refund_request_reply = {"type": "object", "required": ["refund_request"],
                         "properties": {"refund_request": ref("RefundRequest")}}
_username = [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}]
_not_configured = {"503": {"description": "Payments are not configured (code payments_not_configured)",
                           "content": {"application/json": {"schema": ref("Error")}}}}

PATHS = {
    "/api/items/{item_id}/purchase": {
        "post": {
            "summary": "Buy a one_time item: credit first, then earnings",
            "parameters": _item_id,
            "requestBody": {**json_body({"expected_price_cents": {"type": "integer", "minimum": 0,
                                         "description": "The price the buyer saw; 409 price_changed otherwise"}}),
                            "required": False},
            "responses": reply("Bought", _purchase_reply, 201, 400, 401, 402, 403, 404, 409),
        }
    },
    "/api/creators/{username}/subscribe": {
        "post": {
            "summary": "Subscribe to a creator; the first month is charged at once (201), "
                       "200 when already subscribed",
            "parameters": _username,
            "responses": reply("Subscribed", _subscription_reply, 201, 401, 402, 403, 404, 409),
        },
        "delete": {
            "summary": "Cancel; access continues to the end of the paid period",
            "parameters": _username,
            "responses": reply("Cancelled", _subscription_reply, 200, 401, 404),
        },
    },
    "/api/payment/create-checkout-session": {
        "post": {
            "summary": "Start a Stripe Checkout top-up of credit",
            "requestBody": json_body({"amount_cents": {"type": "integer", "minimum": 500, "maximum": 1_000_000}},
                                     ["amount_cents"]),
            "responses": {**reply("Session created", {
                "type": "object", "required": ["session_id", "url"],
                "properties": {"session_id": {"type": "string"}, "url": {"type": "string"}}}, 201, 400, 401),
                **_not_configured},
        }
    },
    "/api/payment/redeem-balance": {
        "post": {
            "summary": "Withdraw earnings (at least 1000 cents); never credit",
            "requestBody": json_body({"amount_cents": {"type": "integer", "minimum": 1000}}, ["amount_cents"]),
            "responses": reply("Payout created", {
                "type": "object", "required": ["payout", "balance"],
                "properties": {"payout": ref("Payout"), "balance": ref("Balance")}}, 201, 400, 401, 402),
        }
    },
    "/api/payment/connect-onboarding": {
        "post": {
            "summary": "A Stripe Connect onboarding link for payouts",
            "responses": {**reply("Link", {"type": "object", "required": ["url"],
                                           "properties": {"url": {"type": "string"}}}, 201, 401),
                          **_not_configured},
        }
    },
    "/api/payment/purchases/{purchase_id}/refund": {
        "post": {
            "summary": "Refund a purchase: the creator any time; the buyer within 48 hours of buying and before "
                       "opening or downloading the paid part (409 already_opened, refund_window_passed)",
            "parameters": _purchase_id,
            "responses": reply("Refunded", _purchase_reply, 200, 401, 404, 409),
        }
    },
    "/api/payment/purchases/{purchase_id}/refund-request": {
        "post": {
            "summary": "The buyer asks the creator for a refund once their own refund has closed, within 30 days "
                       "of buying, once (409 refund_yourself, request_window_passed, already_requested)",
            "parameters": _purchase_id,
            "requestBody": {**json_body({"reason": {"type": "string", "maxLength": 1000}}), "required": False},
            "responses": reply("Asked", _refund_request_reply, 201, 400, 401, 404, 409),
        }
    },
    "/api/payment/purchases/{purchase_id}/refund-request/accept": {
        "post": {
            "summary": "The creator accepts: the purchase is refunded once (409 already_decided, already_refunded)",
            "parameters": _purchase_id,
            "responses": reply("Accepted and refunded", {
                "type": "object", "required": ["purchase", "refund_request"],
                "properties": {"purchase": ref("Purchase"), "refund_request": ref("RefundRequest")}},
                200, 401, 404, 409),
        }
    },
    "/api/payment/purchases/{purchase_id}/refund-request/decline": {
        "post": {
            "summary": "The creator declines, with an optional answer for the buyer; nothing is refunded",
            "parameters": _purchase_id,
            "requestBody": {**json_body({"answer": {"type": "string", "maxLength": 500}}), "required": False},
            "responses": reply("Declined", _refund_request_reply, 200, 400, 401, 404, 409),
        }
    },
    "/api/payment/transactions/{userId}": {
        "get": {
            "summary": "A user's ledger lines, newest first (the user or an admin)",
            "parameters": [
                {"name": "userId", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "kind", "in": "query", "schema": {"type": "string"}},
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
                *PAGE_PARAMS,
            ],
            "responses": reply("Transactions", {
                "type": "object", "required": ["transactions", "next_cursor"],
                "properties": {"transactions": {"type": "array", "items": ref("LedgerLine")},
                               "next_cursor": {"type": "string", "nullable": True}}}, 200, 400, 401, 403, 404),
        }
    },
    "/webhook/stripe": {
        "post": {
            "summary": "Stripe's events, verified by the Stripe-Signature header (tolerance 300 s); "
                       "checkout.session.completed and async_payment_succeeded credit once",
            "security": [{}],
            "parameters": [{"name": "Stripe-Signature", "in": "header", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {**reply("Received: applied, a duplicate, ignored, or rejected and recorded "
                                         "(e.g. `rejected: unknown_user`, `rejected: malformed`)", {
                "type": "object", "properties": {"received": {"type": "boolean"}, "applied": {"type": "boolean"},
                                                 "status": {"type": "string"}}},
                200, 400), **_not_configured},
        }
    },
}
