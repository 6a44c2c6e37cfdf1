"""Every state-changing route of app.url_map (POST, PUT, PATCH, DELETE) refuses a cookie
request without a CSRF token (400 csrf_failed) and changes nothing; the documented
exceptions are the Stripe webhook (its signature authenticates it) and API calls that carry
no cookie at all (nothing to forge: a bearer token or nothing)."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import AuditEvent
from app.models.social import Post
from tests.security.walker import Identity, routes
from tests.security.world import build_world

CSRF_EXEMPT = {"payments.stripe_webhook"}


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_every_write_refuses_a_cookie_request_without_a_token(app, who):
    world = build_world()
    identity = Identity(who, app, None if who == "anonymous" else world.owner)
    before = db.session.query(AuditEvent).count()
    wrong = []
    for route in routes(app, world):
        if not route.writes or route.endpoint in CSRF_EXEMPT:
            continue
        # The browser's cookie rides on the call, page or API, and no token does.
        response = identity.client.open(route.path, method=route.method, data={})
        response.close()
        body = response.get_json(silent=True) if route.is_api else None
        if response.status_code != 400 or (body is not None and body["error"]["code"] != "csrf_failed"):
            wrong.append(f"{response.status_code} {route}")
    assert not wrong, "\n".join(wrong)
    db.session.expire_all()
    assert db.session.query(AuditEvent).count() == before  # nothing was done, not even a sign-out


def test_a_forged_token_is_refused_too(app):
    world = build_world()
    owner = Identity("owner", app, world.owner)
    response = owner.client.post(f"/posts/{world.ids['post_id']}/delete", headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert "The form expired or was not sent from DreamDot." in response.get_data(as_text=True)
    response = owner.client.delete(f"/api/posts/{world.ids['post_id']}", headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert owner.client.get(f"/api/posts/{world.ids['post_id']}").status_code == 200
    db.session.expire_all()
    assert db.session.get(Post, world.ids["post_id"]) is not None


def test_the_exemptions(app):
    world = build_world()
    owner = Identity("owner", app, world.owner)
    # No cookie and a bearer token: no CSRF token needed.
    response = app.test_client().delete(f"/api/posts/{world.ids['post_id']}", headers=owner.headers)
    assert response.status_code == 204
    # The webhook is refused on its signature, not on CSRF (503 without Stripe keys).
    response = owner.client.post("/webhook/stripe", data=b"{}", headers={"Stripe-Signature": "t=1,v1=x"})
    assert response.status_code in (400, 503)
    assert (response.get_json() or {}).get("error", {}).get("code") != "csrf_failed"
