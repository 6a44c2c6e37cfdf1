"""Walking app.url_map: every rule, every method, every choice of an `<any(...)>` part, with
path parameters filled from the world's objects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.conftest import CSRF_RE, bearer, sign_in

IGNORED_METHODS = {"HEAD", "OPTIONS"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"<(?:([a-z_]+)(?:\(([^)]*)\))?:)?([a-z_]+)>")
# Not HTTP routes a test client can walk: the websocket upgrade and the SSE stream, which
# their own tests cover (an anonymous SSE request is still walked: it answers 401 at once).
STREAMING = {"notifications.events", "chat.ws", "chat.socket"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    method: str
    path: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/") or self.path.startswith("/webhook/")

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.endpoint})"


def expand(rule: str, world) -> list[str]:
    paths = [""]
    position = 0
    for match in PARAM.finditer(rule):
        literal = rule[position:match.start()]
        converter, args, name = match.groups()
        if converter == "any":
            values = [v.strip().strip("'\"") for v in args.split(",")]
        else:
            values = [world.value(rule, name)]
        paths = [p + literal + v for p in paths for v in values]
        position = match.end()
    return [p + rule[position:] for p in paths]


def routes(app, world) -> list[Route]:
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - IGNORED_METHODS):
            for path in expand(rule.rule, world):
                found.append(Route(rule.endpoint, rule.rule, method, path))
    return found


class Identity:
    """A browser (cookie and CSRF token) for pages and a bearer token for the API."""

    def __init__(self, name: str, app, user=None):
        self.name, self.app, self.user = name, app, user
        self.client = app.test_client()
        self.headers: dict = {}
        self.refresh()

    def refresh(self) -> None:
        self.client = self.app.test_client()
        if self.user is not None:
            sign_in(self.client, self.user)
            self.headers = bearer(self.app, self.user)
        page = self.client.get("/").get_data(as_text=True)
        self.csrf = CSRF_RE.search(page).group(1)

    def request(self, route: Route, *, csrf: bool = True, json: dict | None = None):
        if route.is_api:
            if self.user is None:
                # The API without any credential: no cookie rides on the call.
                response = self.app.test_client().open(route.path, method=route.method, json=json or {})
            else:
                response = self.client.open(route.path, method=route.method, json=json or {},
                                            headers=self.headers)
        else:
            headers = {"X-CSRFToken": self.csrf} if csrf and route.writes else {}
            response = self.client.open(route.path, method=route.method, data={}, headers=headers)
        response.close()
        return response


DESTRUCTIVE = ("destroy", "delete", "remove", "leave", "ban", "transfer", "signout", "unblock",
               "moderate_user", "resolve_report")


def walk_order(route: Route) -> tuple:
    """Reads first, then writes, then the ones that destroy or sign out, so one walk sees
    every object alive for as long as possible."""
    destructive = route.method == "DELETE" or any(word in route.endpoint for word in DESTRUCTIVE)
    return (route.writes, destructive, "signout" in route.endpoint)
