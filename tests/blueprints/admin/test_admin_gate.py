"""Every route under /admin is 404 for anyone but an admin, anonymous included."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, User
from tests.conftest import csrf_token, sign_in
from tests.factories import UserFactory

PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _admin_urls(app) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        values = {}
        # `<any(a, b):name>` takes the first of its choices, any other variable the id 1.
        for converter, arguments, name in PLACEHOLDER.findall(rule.rule):
            choices = [c.strip().strip("'\"") for c in arguments.split(",")] if converter == "any" else []
            values[name] = sorted(choices)[0] if choices else 1
        with app.test_request_context():
            path = app.url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


def test_the_walk_covers_every_admin_page(app):
    paths = {p for _, p in _admin_urls(app)}
    for expected in ("/admin", "/admin/users", "/admin/reports", "/admin/payouts", "/admin/audit", "/admin/system",
                     "/admin/payments/events",
                     "/admin/users/1", "/admin/reports/1/dismiss", "/admin/users/1/reinstate"):
        assert expected in paths


@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_everyone_but_admins_gets_404(app, make_client, who):
    UserFactory()  # id 1 exists, so a 404 is the gate and not a missing row
    client = make_client()
    if who == "user":
        sign_in(client, UserFactory())
    token = csrf_token(client, "/")
    events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    for method, path in _admin_urls(app):
        response = client.open(path, method=method, headers={"X-CSRFToken": token}, data={"reason": "x"})
        assert response.status_code == 404, (who, method, path, response.status_code)
        html = response.get_data(as_text=True)
        assert 'id="error-404"' in html and 'aria-label="Admin"' not in html, (who, method, path)
    # The refused POSTs (suspend user 1 among them) did nothing and logged nothing.
    db.session.expire_all()
    assert db.session.get(User, 1).suspended_at is None
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events


HEADINGS = {
    "/admin": "Operations", "/admin/users": "Users", "/admin/users/1": "@boss", "/admin/reports": "Reports",
    "/admin/payouts": "Payouts", "/admin/audit": "Audit log", "/admin/system": "System",
    "/admin/payments/events": "Unapplied payment events",
}


def test_admins_reach_every_admin_page(app, make_client):
    admin = UserFactory(is_admin=True, username="boss")
    client = make_client()
    sign_in(client, admin)
    pages = [path for method, path in _admin_urls(app) if method == "GET"]
    assert sorted(pages) == sorted(HEADINGS)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        assert f"<h1>{HEADINGS[path]}</h1>" in html and 'id="error-' not in html, path
