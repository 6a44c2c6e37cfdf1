"""GET /api/openapi.json describes every /api route of the app, with its methods."""

import re

IGNORED_METHODS = {"HEAD", "OPTIONS"}
ANY = re.compile(r"<any\(([^)]*)\):\w+>")


def openapi_paths(rule: str) -> list[str]:
    """`/a/<int:x>/<any(p, q):action>` -> `/a/{x}/p`, `/a/{x}/q`: OpenAPI documents each choice."""
    choice = ANY.search(rule)
    rules = [rule.replace(choice.group(0), o.strip()) for o in choice.group(1).split(",")] if choice else [rule]
    return [re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", r) for r in rules]


def shape(path: str) -> str:
    """`/api/posts/{id}` and `/api/posts/{post_id}` are one path: the document may name a
    parameter as api.md does while the route names it otherwise."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def api_routes(app, prefix: str = "/api/") -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        for path in openapi_paths(rule.rule):
            routes.setdefault(shape(path), set()).update(m.lower() for m in rule.methods - IGNORED_METHODS)
    return routes


def documented_paths(spec) -> dict[str, set[str]]:
    paths: dict[str, set[str]] = {}
    for path, operations in spec["paths"].items():
        paths.setdefault(shape(path), set()).update(op for op in operations if op != "parameters")
    return paths


def test_every_api_route_and_method_is_documented(app, client):
    documented = documented_paths(client.get("/api/openapi.json").get_json())
    missing = {
        path: sorted(methods - documented.get(path, set()))
        for path, methods in api_routes(app).items()
        if methods - documented.get(path, set())
    }
    assert not missing, f"/api routes missing from the OpenAPI document: {missing}"


def test_the_document_has_no_paths_the_app_lacks(app, client):
    routes = api_routes(app, prefix="/")  # it may describe a non-/api endpoint too (the webhook)
    documented = documented_paths(client.get("/api/openapi.json").get_json())
    extra = {p: sorted(ops - routes.get(p, set())) for p, ops in documented.items() if ops - routes.get(p, set())}
    assert not extra, f"documented but not routed: {extra}"


def test_the_document_is_openapi_3_with_the_api_objects(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    schemas = spec["components"]["schemas"]
    assert {"Error", "User", "Balance"} <= set(schemas)
    assert set(schemas["User"]["required"]) == {"id", "username", "display_name", "bio", "avatar_url",
                                                "banner_url", "created_at", "followers_count",
                                                "following_count"}
    for path in ("/api/auth/signup", "/api/auth/signin", "/api/auth/me", "/api/auth/signout",
                 "/api/users/{username}", "/api/users/me"):
        assert path in spec["paths"]


def test_route_conversion():
    assert openapi_paths("/api/items/<int:item_id>/x/<slug>") == ["/api/items/{item_id}/x/{slug}"]
    assert openapi_paths("/api/c/<slug>/<any(pin, unpin):action>") == ["/api/c/{slug}/pin", "/api/c/{slug}/unpin"]
    assert shape("/api/posts/{id}") == shape("/api/posts/{post_id}") == "/api/posts/{}"


def test_the_check_catches_an_undocumented_route(app, client, monkeypatch):
    import app.openapi.users as users_doc

    monkeypatch.setattr(users_doc, "PATHS", {k: v for k, v in users_doc.PATHS.items() if k != "/api/users/me"})
    documented = documented_paths(client.get("/api/openapi.json").get_json())
    assert "patch" in api_routes(app)["/api/users/me"]
    assert "patch" not in documented.get("/api/users/me", set())
