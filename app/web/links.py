"""`link()`: `url_for` for the layout, remembered per app.

Every page draws the same navigation: a dozen `url_for` calls, each a walk of the URL map,
with the same answers on every page (the static files, the sections, the signed-in user's
own pages). DreamDot registers no URL defaults or value preprocessors, so a relative URL
depends only on the endpoint, its values and the script root: `link` keeps the answers in a
bounded per-app dictionary. Templates use `url_for` for anything else (an `_external` URL,
a URL with a query that changes per request)."""

from __future__ import annotations

from flask import Flask, current_app, request, url_for

_EXTENSION = "dreamdot.links"
MAX_LINKS = 20_000


def link(endpoint: str, **values) -> str:
    links = current_app.extensions[_EXTENSION]
    key = (request.script_root, endpoint, *sorted(values.items()))
    found = links.get(key)
    if found is None:
        found = url_for(endpoint, **values)
        if len(links) >= MAX_LINKS:
            links.clear()
        links[key] = found
    return found


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = {}
    app.jinja_env.globals["link"] = link
