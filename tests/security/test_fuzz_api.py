"""Schemathesis on every operation of /api/openapi.json, signed out and signed in with a
bearer token, with the rate limits lifted (a 429 would hide what the request would have
done): never a 5xx, only documented statuses and content types, and bodies that conform to
the document. FUZZ_EXAMPLES sets the examples per operation and identity (`make fuzz`)."""

from __future__ import annotations

import pytest

from app.extensions import db, limiter
from app.services import accounts
from tests.factories import CommentFactory, PostFactory, UserFactory, make_community, make_item
from tests.security.fuzzing import Findings, fuzz_operation, load_schema, operations


@pytest.fixture
def unlimited(app, monkeypatch):
    for setting in ("RATELIMIT_SIGNIN", "RATELIMIT_SIGNUP", "RATELIMIT_SIGNUP_ATTEMPTS", "RATELIMIT_WRITE",
                    "RATELIMIT_PASSWORD_RESET"):
        monkeypatch.setitem(app.config, setting, "1000000 per minute")
    limiter.reset()


@pytest.fixture
def world(app, unlimited):
    """Some real objects so that small generated ids and slugs sometimes hit one."""
    owner = UserFactory(username="fuzzowner")
    other = UserFactory(username="fuzzother")
    post = PostFactory(author_id=owner.id)
    CommentFactory(post_id=post.id, author_id=other.id)
    make_item(owner, price_cents=0, pricing="free")
    make_community(owner)
    db.session.commit()
    return owner


def _fuzz(app, headers_for) -> Findings:
    findings = Findings()
    schema = load_schema(app)
    for operation in operations(schema):
        fuzz_operation(operation, headers_for, findings)
    return findings


def test_signed_out(app, world):
    findings = _fuzz(app, lambda case: {})
    assert findings.calls > 0
    assert findings.statuses[429] == 0, findings.statuses
    assert findings.statuses[500] == 0
    assert not findings.failures, "\n\n".join(f"{k}\n{v}" for k, v in findings.failures.items())


def test_signed_in_with_a_bearer_token(app, world):
    state = {}

    def headers_for(case):
        token = state.get("token")
        if token is None or accounts.user_for_token(token) is None:  # signed out by a previous case
            db.session.rollback()
            state["token"] = token = accounts.issue_token(world)
            db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    findings = _fuzz(app, headers_for)
    assert findings.calls > 0
    assert findings.statuses[429] == 0, findings.statuses  # every request reached its view
    assert findings.statuses[500] == 0
    assert not findings.failures, "\n\n".join(f"{k}\n{v}" for k, v in findings.failures.items())
