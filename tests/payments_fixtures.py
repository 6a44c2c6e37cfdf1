"""Fixtures of the payments tests: a configured Stripe pointing at the local fake."""

from __future__ import annotations

import pytest

from tests.fakes.stripe_server import FakeStripe

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_fake(app):
    fake = FakeStripe().start()
    saved = {k: app.config.get(k) for k in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")}
    app.config.update(STRIPE_SECRET_KEY="sk_test_dreamdot", STRIPE_API_BASE=fake.url,
                      STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    yield fake
    app.config.update(saved)
    fake.stop()
