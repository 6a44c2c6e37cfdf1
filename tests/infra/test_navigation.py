"""The signed-in navigation: the user's own pages, their current name and role, each
session's own token, and the name escaped."""

import re

from app.extensions import db
from tests.conftest import sign_in
from tests.factories import UserFactory


def test_the_layout_links_to_the_signed_in_users_own_pages(app):

    for name in ("ada", "bea"):
        client = app.test_client()
        sign_in(client, UserFactory(username=name))
        html = client.get("/notifications").get_data(as_text=True)
        assert f'href="/u/{name}"' in html and f'href="/creators/{name}"' in html


def _nav(html: str) -> str:
    return re.search(r'<nav [^>]*aria-label="Main">(.*?)</nav>', html, re.S).group(1)


def test_the_signed_in_navigation_follows_the_user_and_carries_each_sessions_token(app):
    """A renamed user, a new admin, another session each see their own navigation."""

    ada = UserFactory(username="ada", display_name="Ada")
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    sign_in(first, ada)
    sign_in(second, ada)
    nav = _nav(first.get("/notifications").get_data(as_text=True))
    assert ">Ada<" in nav and "/admin" not in nav
    tokens = []
    for client in (first, second):
        page = client.get("/notifications").get_data(as_text=True)
        signout = re.search(r'action="/signout".*?name="csrf_token" value="([^"]+)"', _nav(page), re.S).group(1)
        body = re.search(r'name="csrf_token" value="([^"]+)"', page[page.index("</nav>"):])
        assert body is None or body.group(1) == signout  # the page's one token
        tokens.append(signout)
    assert tokens[0] != tokens[1] and "\x00" not in nav

    ada.display_name, ada.is_admin = "Ada L.", True
    db.session.commit()
    nav = _nav(first.get("/notifications").get_data(as_text=True))
    assert ">Ada L.<" in nav and ">Ada<" not in nav and 'href="/admin"' in nav
    # The form works with the token it carries: signing out ends the session.
    response = first.post("/signout", data={"csrf_token": re.search(
        r'action="/signout".*?value="([^"]+)"', nav, re.S).group(1)})
    assert response.status_code in (302, 303)
    assert "/signout" not in _nav(first.get("/explore").get_data(as_text=True))


def test_the_signed_in_navigation_escapes_the_name(app):

    user = UserFactory(display_name="<script>alert(1)</script>")
    db.session.commit()
    client = app.test_client()
    sign_in(client, user)
    for _ in range(2):
        nav = _nav(client.get("/notifications").get_data(as_text=True))
        assert "<script>" not in nav and "&lt;script&gt;" in nav
