from datetime import timedelta

import factory

from app.extensions import db
from app.models.base import utcnow
from app.models.items import CreatorPlan, Entitlement, Item, Subscription
from tests.factories.users import UserFactory


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class ItemFactory(_Base):
    """A published item row (no MongoDB content: services.items.create_item makes both)."""

    class Meta:
        model = Item

    creator_id = factory.LazyFunction(lambda: UserFactory().id)
    kind = "writing"
    title = factory.Sequence(lambda n: f"Item {n}")
    description = "A thing worth having."
    tags = factory.LazyFunction(list)
    pricing = "free"
    price_cents = 0
    status = "published"
    published_at = factory.LazyFunction(utcnow)
    search_text = factory.LazyAttribute(lambda o: f"{o.title} {o.description}")


class EntitlementFactory(_Base):
    class Meta:
        model = Entitlement

    source = "grant"


class CreatorPlanFactory(_Base):
    class Meta:
        model = CreatorPlan

    monthly_price_cents = 500
    active = True


class SubscriptionFactory(_Base):
    class Meta:
        model = Subscription

    status = "active"
    price_cents = 500
    current_period_start = factory.LazyFunction(utcnow)
    current_period_end = factory.LazyFunction(lambda: utcnow() + timedelta(days=30))
