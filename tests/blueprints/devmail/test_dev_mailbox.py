"""/dev/mail: the local SMTP server's Maildir for developers, with clickable links; only
with DEV_MAILBOX, never in production, only to requests from this machine."""

import re

import pytest

from app.services.stores import bind_url
from config import Config
from tests.mail import mails_to


def test_the_mailbox_lists_mails_and_shows_one_with_its_link(app, client, user):
    empty = client.get("/dev/mail").get_data(as_text=True)
    assert "No mail yet" in empty
    app.test_client().post("/api/auth/password-reset", json={"email": user.email})
    mails_to(user.email)  # sent
    page = client.get("/dev/mail").get_data(as_text=True)
    assert user.email in page and "Reset your DreamDot password" in page
    (href,) = re.findall(r'href="(/dev/mail/[^"]+)"', page)
    mail = client.get(href)
    body = mail.get_data(as_text=True)
    assert mail.status_code == 200 and "Reset your DreamDot password" in body
    (link,) = re.findall(r'<a href="(http://localhost/password-reset/confirm\?token=[^"]+)"', body)
    assert client.get(link.removeprefix("http://localhost")).status_code == 200


NO_SUCH_MAIL = "There is no such mail."
NOTHING_HERE = "There is nothing here."  # the app's 404 for a path no page has


# The mailbox refuses an unknown or malformed key itself; an encoded slash never reaches it
# (a key has no "/", so no page matches).
@pytest.mark.parametrize(("key", "message"), [("nothing-here", NO_SUCH_MAIL), ("..", NO_SUCH_MAIL),
                                              ("a" * 300, NO_SUCH_MAIL), ("%2e%2e%2fetc", NOTHING_HERE)])
def test_an_unknown_mail_is_404(client, key, message):
    response = client.get(f"/dev/mail/{key}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert f"<p>{message}</p>" in body
    assert "All mail" not in body  # no mail's page


def test_only_this_machine_sees_it(app, client, user):
    app.test_client().post("/api/auth/password-reset", json={"email": user.email})
    mails_to(user.email)  # sent
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    response = client.get("/dev/mail", environ_base=remote)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert f"<p>{NOTHING_HERE}</p>" in body
    assert user.email not in body and "Reset your DreamDot password" not in body
    local = client.get("/dev/mail", environ_base={"REMOTE_ADDR": "::1"})
    assert local.status_code == 200
    page = local.get_data(as_text=True)
    assert user.email in page and "Reset your DreamDot password" in page
    # The mail's own page, with its working link, is hidden from the other address too.
    (href,) = re.findall(r'href="(/dev/mail/[^"]+)"', page)
    hidden = client.get(href, environ_base=remote)
    assert hidden.status_code == 404
    assert "password-reset/confirm" not in hidden.get_data(as_text=True)
    assert "password-reset/confirm?token=" in client.get(href, environ_base={"REMOTE_ADDR": "::1"}).get_data(
        as_text=True)


def test_without_dev_mailbox_there_is_no_such_page(make_app):
    other = make_app(DEV_MAILBOX=None)
    assert other.test_client().get("/dev/mail").status_code == 404
    assert "devmail.index" not in {rule.endpoint for rule in other.url_map.iter_rules()}


def test_production_ignores_dev_mailbox(app, monkeypatch, tmp_path, caplog):
    for bind in ("users", "social", "items", "community", "audit"):
        monkeypatch.setenv(f"DATABASE_URL_{bind.upper()}", bind_url(app.config, bind))
    for name in ("SMTP_URL", "MAILGUN_SMTP_SERVER", "SENDGRID_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("DEV_MAILBOX", str(tmp_path / "maildir"))
    config = Config()
    assert config.DEV_MAILBOX is None
    assert "DEV_MAILBOX is ignored in production" in caplog.text
