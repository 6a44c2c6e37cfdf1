"""Raw payloads of Stripe webhook events, kept as received (the ledger holds the effect)."""

from __future__ import annotations

import mongoengine as me

from app.models.base import utcnow


class PaymentEvent(me.Document):
    meta = {"collection": "payment_events", "indexes": [{"fields": ["event_id"], "unique": True}, "status"]}

    event_id = me.StringField(required=True)
    type = me.StringField(required=True)
    payload = me.StringField(required=True)  # the raw body, exactly as signed
    deliveries = me.IntField(default=0)
    received_at = me.DateTimeField(default=utcnow)
    last_received_at = me.DateTimeField(default=utcnow)
    # What became of it: applied, duplicate, ignored or rejected (never credited), with a reason
    # such as "unknown_user" or "malformed" (None before the event is processed).
    status = me.StringField()
    reason = me.StringField()
