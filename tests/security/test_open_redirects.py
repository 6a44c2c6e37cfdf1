"""No open redirect: every route of app.url_map, as anonymous and as the owner, given a
`next` that leaves the site (in the query and in the form) redirects only to local paths;
the sign-in form keeps only a safe `next`."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.web.auth import safe_next
from tests.conftest import CSRF_RE, signin_form
from tests.factories import PASSWORD
from tests.security.walker import STREAMING, Identity, routes, walk_order
from tests.security.world import build_world

EVIL = ["https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
        "http:/evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "/\r\nLocation: https://evil.example"]


def leaves_the_site(location: str) -> bool:
    parts = urlsplit(location)
    return bool(parts.scheme or parts.netloc) or location.startswith("//") or "\\" in location \
        or ("evil.example" in location and not location.startswith(("/signin?next=", "/%2F")))


@pytest.mark.parametrize("who", ["anonymous", "owner"])
def test_no_route_redirects_off_site(app, who):
    world = build_world()
    identity = Identity(who, app, None if who == "anonymous" else world.owner)
    wrong = []
    for route in sorted(routes(app, world), key=walk_order):
        if route.endpoint in STREAMING or route.is_api or "signout" in route.endpoint:
            continue
        for target in EVIL[:3]:
            if route.writes:
                response = identity.client.open(route.path, method=route.method,
                                                query_string={"next": target},
                                                data={"next": target, "csrf_token": identity.csrf})
            else:
                response = identity.client.open(route.path, method=route.method, query_string={"next": target})
            response.close()
            for header in ("Location", "HX-Redirect"):
                location = response.headers.get(header, "")
                if location and leaves_the_site(location):
                    wrong.append(f"{route} next={target!r} -> {header}: {location}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("target", EVIL)
def test_signin_never_sends_the_user_off_site(client, user, target):
    page = client.get("/signin", query_string={"next": target}).get_data(as_text=True)
    kept = safe_next(target)
    assert kept is None or kept == "/%2F%2Fevil.example"  # a percent-encoded path stays a path
    if kept is None:
        assert "evil.example" not in page
    response = signin_form(client, user.username, PASSWORD, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] in ("/", kept)
    assert not urlsplit(response.headers["Location"]).netloc


def test_a_local_next_is_kept(client, user):
    response = signin_form(client, user.username, PASSWORD, next="/settings/profile")
    assert response.headers["Location"] == "/settings/profile"


def test_the_sign_in_redirect_of_a_protected_page_keeps_a_local_next_only(client):
    response = client.get("/settings/profile", query_string={"next": "https://evil.example/"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/signin?next=") and not urlsplit(location).netloc
    assert CSRF_RE  # the page helpers are shared with the walkers
