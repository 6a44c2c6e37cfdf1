"""/dev/mail: the local SMTP server's Maildir for developers, with clickable links; only
with DEV_MAILBOX, never in production, only to requests from this machine."""

import re

import pytest

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


@pytest.mark.parametrize("key", ["nothing-here", "..", "a" * 300, "%2e%2e%2fetc"])
def test_an_unknown_mail_is_404(client, key):
    assert client.get(f"/dev/mail/{key}").status_code == 404


def test_only_this_machine_sees_it(client):
    assert client.get("/dev/mail", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    assert client.get("/dev/mail", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_without_dev_mailbox_there_is_no_such_page(make_app):
    other = make_app(DEV_MAILBOX=None)
    assert other.test_client().get("/dev/mail").status_code == 404
    assert "devmail.index" not in {rule.endpoint for rule in other.url_map.iter_rules()}


def test_production_ignores_dev_mailbox(app, monkeypatch, tmp_path, caplog):
    for bind in ("users", "social", "items", "community", "audit"):
        monkeypatch.setenv(f"DATABASE_URL_{bind.upper()}", app.config["SQLALCHEMY_BINDS"][bind])
    for name in ("SMTP_URL", "MAILGUN_SMTP_SERVER", "SENDGRID_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    monkeypatch.setenv("DEV_MAILBOX", str(tmp_path / "maildir"))
    config = Config()
    assert config.DEV_MAILBOX is None
    assert "DEV_MAILBOX is ignored in production" in caplog.text
