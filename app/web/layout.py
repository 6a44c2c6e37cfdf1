"""The signed-in part of the navigation, drawn once per user and state.

Every signed-in page draws the same links for its user: their profile, shop, the badge,
the balance, the admin link, the sign-out form. `signed_in_nav()` keeps the rendered HTML
in a bounded per-app dictionary keyed by everything it is drawn from (the script root, the
user's id, username, name and admin flag, the unread count and the balance), with a
placeholder where the sign-out form's CSRF token goes: each page puts its own token in. A
changed name, a new notification or a payment is another key, so a page never shows an
old state; nothing per request but the token is inside (as `forms.blank_form_html`)."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from app.services.navigation import nav_summary
from app.web.security import csrf_token

_EXTENSION = "dreamdot.signed_in_nav"
_CSRF_PLACEHOLDER = "\x00csrf\x00"
MAX_ENTRIES = 2_000


def signed_in_nav() -> Markup:
    user = current_user
    nav = nav_summary(user)
    balance = tuple(sorted(nav.balance.items())) if nav.balance else None
    key = (request.script_root, user.id, user.username, user.name, bool(user.is_admin), nav.unread, balance)
    cache = current_app.extensions[_EXTENSION]
    token = csrf_token()
    html = cache.get(key)
    if html is None:
        rendered = render_template("layouts/_signed_in_nav.html", nav=nav)
        html = rendered.replace(token, _CSRF_PLACEHOLDER)
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = html
    return Markup(html.replace(_CSRF_PLACEHOLDER, token))  # noqa: S704 - our template's output


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = {}
    app.jinja_env.globals["signed_in_nav"] = signed_in_nav
