"""A user's balance as the API and the navigation report it: one indexed query."""

from __future__ import annotations

from app.services.payments.grants import grant_signup
from app.services.payments.ledger import read_session, user_balance, user_balance_and_accounts


def get_balance(user_id: int) -> dict:
    """`Balance` of the API: credit, earnings and their total, in cents. A user with no
    ledger account yet (a sign-up whose grant did not run) is granted here, once."""
    with read_session() as session:
        balance, has_accounts = user_balance_and_accounts(session, user_id)
    if not has_accounts:
        if grant_signup(user_id):
            with read_session() as session:
                balance = user_balance(session, user_id)
    return balance
