"""Payments: the wallet, purchases and subscriptions, refunds (refunds.py), the admin payout queue
(admin.py), the Stripe webhook (webhooks.py) and the JSON API.

Each view module owns or joins its blueprint; importing the package registers every view."""

from app.blueprints.payments import admin, refunds, webhooks  # noqa: F401 - their views join bp
from app.blueprints.payments.api import api_bp
from app.blueprints.payments.routes import bp

__all__ = ["api_bp", "bp"]
