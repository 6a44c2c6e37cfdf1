"""Items, plans and balances for the payments tests."""

from __future__ import annotations

import secrets

from app.extensions import db
from app.models.base import utcnow
from app.models.items import CreatorPlan, Item
from app.services.payments.ledger import (
    SYSTEM_STRIPE,
    Leg,
    credit_code,
    earnings_code,
    lock_accounts,
    money_session,
    post,
)


def make_item(creator, *, price_cents: int = 1000, pricing: str = "one_time", status: str = "published",
              title: str = "A thing") -> Item:
    item = Item(creator_id=creator.id, kind="download", title=title, pricing=pricing, price_cents=price_cents,
                status=status, published_at=utcnow() if status == "published" else None)
    db.session.add(item)
    db.session.commit()
    return item


def make_plan(creator, price_cents: int = 500) -> CreatorPlan:
    plan = CreatorPlan(creator_id=creator.id, monthly_price_cents=price_cents)
    db.session.add(plan)
    db.session.commit()
    return plan


def fund(user, *, credit: int = 0, earnings: int = 0) -> None:
    """Put money on a user's accounts (from the Stripe system account), as a top-up would."""
    with money_session() as session:
        accounts = lock_accounts(session, [credit_code(user.id), earnings_code(user.id), SYSTEM_STRIPE])
        post(session, "topup", f"test-fund:{secrets.token_hex(8)}", [
            Leg(accounts[credit_code(user.id)], credit), Leg(accounts[earnings_code(user.id)], earnings),
            Leg(accounts[SYSTEM_STRIPE], -(credit + earnings)),
        ])
