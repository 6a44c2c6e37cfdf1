"""The foundation's headers on every kind of response: every route of the walk (pages,
fragments, JSON, errors of every status, static files, redirects), the SSE stream, and the
session cookie's attributes."""

from __future__ import annotations

import pytest

from tests.conftest import CSRF_RE, HTMX
from tests.security.walker import Identity, routes, walk_order
from tests.security.world import build_world

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def check(response, label: str) -> list[str]:
    wrong = [f"{label}: {name}={response.headers.get(name)!r}" for name, value in REQUIRED.items()
             if response.headers.get(name) != value]
    policy = response.headers.get("Content-Security-Policy", "")
    if "script-src 'self'" not in policy or "frame-ancestors 'none'" not in policy or "unsafe" in policy:
        wrong.append(f"{label}: CSP {policy!r}")
    return wrong


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_every_route_answers_with_the_security_headers(app, who):
    world = build_world()
    identity = Identity(who, app, None if who == "anonymous" else world.owner)
    wrong = []
    for route in sorted(routes(app, world), key=walk_order):
        if route.endpoint == "notifications.events" and who != "anonymous":
            continue
        for headers in ({}, HTMX):
            response = identity.client.open(route.path, method=route.method, headers=headers)
            response.close()
            wrong += check(response, f"{response.status_code} {route} {headers}")
            if route.is_api and "no-store" not in response.headers.get("Cache-Control", ""):
                wrong.append(f"{route}: API answer cacheable")
    assert not wrong, "\n".join(wrong[:40])


def test_the_sse_stream_and_a_500_carry_them(app, auth_client, monkeypatch):
    response = auth_client.get("/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert not check(response, "SSE")
    response.close()

    def boom():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "main.healthz", boom)
    response = auth_client.get("/healthz")
    assert response.status_code == 500 and not check(response, "500")


def test_the_session_cookie_is_httponly_and_lax(client, user):
    from tests.factories import PASSWORD

    page = client.get("/signin").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post("/signin", data={"login": user.username, "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("dreamdot_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development and tests; production: test_config_and_startup
