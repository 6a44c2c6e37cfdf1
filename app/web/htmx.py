"""The one place that reads HTMX headers and decides between a page and a partial."""

from __future__ import annotations

from flask import Response, make_response, render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_partial() -> bool:
    """A fragment only for a plain HTMX request: not boosted, not a history restore."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, partial: str | None = None, *, status: int = 200, **context) -> Response:
    """Render the full page, or only its partial for HTMX (the page includes the partial)."""
    template = partial if partial and wants_partial() else page
    return make_response(render_template(template, **context), status)


def hx_redirect(location: str) -> Response:
    response = make_response("", 204)
    response.headers["HX-Redirect"] = location
    return response


def redirect_to(location: str) -> Response:
    """After a successful form post: 303 without JS, HX-Redirect with HTMX."""
    if is_htmx():
        return hx_redirect(location)
    response = make_response("", 303)
    response.headers["Location"] = location
    return response


def trigger(response: Response, event: str) -> Response:
    response.headers["HX-Trigger"] = event
    return response


def add_vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response
