"""A user's balance as the API reports it."""

from __future__ import annotations


def get_balance(user_id: int) -> dict:
    """`Balance` of the API. The ledger (payments capability) keeps the real accounts;
    until a user has ledger accounts their balance is zero."""
    return {"credit_cents": 0, "earnings_cents": 0, "total_cents": 0}
