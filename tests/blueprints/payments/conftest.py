from tests.payments_fixtures import stripe_fake  # noqa: F401
