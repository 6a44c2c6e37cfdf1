"""A creator's subscription plan: one monthly price (billing is the payments service's)."""

from __future__ import annotations

from app.extensions import db
from app.models.items import CreatorPlan
from app.services import NO_ORIGIN, Origin
from app.services.audit import record_event
from app.services.errors import Invalid

PLAN_PATH = "/settings/shop"  # where a creator sets their plan (said in refusals that need one)
MIN_MONTHLY_CENTS = 100
MAX_MONTHLY_CENTS = 1_000_000


def get_plan(creator_id: int) -> CreatorPlan | None:
    """The creator's active plan, or None."""
    plan = db.session.get(CreatorPlan, creator_id)
    return plan if plan is not None and plan.active else None


def set_plan(creator, monthly_price_cents, *, origin: Origin = NO_ORIGIN) -> CreatorPlan | None:
    """Set the monthly price; None or 0 turns the plan off (existing subscribers keep
    what they paid for until their period ends)."""
    if monthly_price_cents in (None, "", 0, "0"):
        plan = db.session.get(CreatorPlan, creator.id)
        if plan is not None:
            plan.active = False
            db.session.flush()
        record_event("plan_off", user_id=creator.id, origin=origin)
        return None
    if isinstance(monthly_price_cents, bool) or not isinstance(monthly_price_cents, int):
        raise Invalid("The monthly price is a whole number of cents.", code="validation_failed",
                      fields={"monthly_price_cents": "A whole number of cents."})
    if not MIN_MONTHLY_CENTS <= monthly_price_cents <= MAX_MONTHLY_CENTS:
        raise Invalid("The monthly price is from $1.00 to $10,000.00.", code="validation_failed",
                      fields={"monthly_price_cents": "From $1.00 to $10,000.00."})
    plan = db.session.get(CreatorPlan, creator.id)
    if plan is None:
        plan = CreatorPlan(creator_id=creator.id, monthly_price_cents=monthly_price_cents)
        db.session.add(plan)
    plan.monthly_price_cents, plan.active = monthly_price_cents, True
    db.session.flush()
    record_event("plan_set", user_id=creator.id, origin=origin, monthly_price_cents=monthly_price_cents)
    return plan
