"""Stripe through its official library. Every call happens outside any ledger lock.

`STRIPE_API_BASE` points the client at another address (the tests' local fake server)."""

from __future__ import annotations

import stripe
from flask import current_app

from app.services.errors import ServiceError


class PaymentsNotConfigured(ServiceError):
    status = 503
    code = "payments_not_configured"

    def __init__(self, message: str = "Payments are not configured on this DreamDot yet."):
        super().__init__(message)


class StripeFailed(ServiceError):
    status = 502
    code = "stripe_error"


def is_configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    key = current_app.config.get("STRIPE_SECRET_KEY")
    if not key:
        raise PaymentsNotConfigured()
    base = current_app.config.get("STRIPE_API_BASE")
    addresses = {"api": base, "connect": base, "files": base} if base else None
    return stripe.StripeClient(key, base_addresses=addresses, max_network_retries=2)


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as exc:
        raise StripeFailed(f"Stripe refused the request: {exc.user_message or 'try again later'}") from exc


def create_checkout_session(*, user_id: int, amount_cents: int, key: str, success_url: str, cancel_url: str):
    params = {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {"currency": "usd", "unit_amount": amount_cents,
                           "product_data": {"name": "DreamDot credit"}},
        }],
        "client_reference_id": str(user_id),
        "metadata": {"user_id": str(user_id), "idempotency_key": key, "purpose": "topup"},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    return _call(client().v1.checkout.sessions.create, params, {"idempotency_key": f"checkout-{key}"})


def retrieve_checkout_session(session_id: str):
    return _call(client().v1.checkout.sessions.retrieve, session_id)


def create_transfer(*, amount_cents: int, destination: str, payout_id: int):
    params = {"amount": amount_cents, "currency": "usd", "destination": destination,
              "metadata": {"payout_id": str(payout_id)}}
    # A raw call so a Stripe refusal reaches the caller, which returns the money.
    return client().v1.transfers.create(params, {"idempotency_key": f"payout-{payout_id}"})


def create_connected_account(*, user_id: int, email: str | None):
    params = {"type": "express", "metadata": {"user_id": str(user_id)}}
    if email:
        params["email"] = email
    return _call(client().v1.accounts.create, params, {"idempotency_key": f"connect-{user_id}"})


def create_account_link(*, account_id: str, refresh_url: str, return_url: str):
    params = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url,
              "type": "account_onboarding"}
    return _call(client().v1.account_links.create, params)
