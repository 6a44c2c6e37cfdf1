"""Mail settings from the environment: SMTP_URL (smtp:// with STARTTLS or not, smtps://,
percent-encoded credentials), a mail add-on's variables, off without either; production
needs PUBLIC_URL with mail on; and no setting ever reaches a log line."""

import logging

import pytest

import config as settings
from app.services.stores import bind_url
from config import Config

MAIL_VARS = ("SMTP_URL", "MAILGUN_SMTP_SERVER", "MAILGUN_SMTP_PORT", "MAILGUN_SMTP_LOGIN", "MAILGUN_SMTP_PASSWORD",
             "SENDGRID_USERNAME", "SENDGRID_PASSWORD", "MAIL_FROM", "PUBLIC_URL", "DEV_MAILBOX")


@pytest.fixture
def env(app, monkeypatch):
    for name in MAIL_VARS:
        monkeypatch.delenv(name, raising=False)
    for bind in ("users", "social", "items", "community", "audit"):
        monkeypatch.setenv(f"DATABASE_URL_{bind.upper()}", bind_url(app.config, bind))
    return monkeypatch


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, None, None, False, False)),
    ("smtp://mailer:s%40cret%2Fpw@smtp.example.com:587?starttls=true",
     ("smtp.example.com", 587, "mailer", "s@cret/pw", True, False)),
    ("smtp://smtp.example.com", ("smtp.example.com", 25, None, None, False, False)),
    ("smtps://postmaster%40mg.example.com:key@smtp.mailgun.org",
     ("smtp.mailgun.org", 465, "postmaster@mg.example.com", "key", False, True)),
])
def test_smtp_url(url, expected):
    found = settings.smtp_url_settings(url)
    assert tuple(found[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS",
                                    "MAIL_USE_SSL")) == expected


@pytest.mark.parametrize("url", ["http://user:hunter2@example.com", "smtp://", "smtp://host:notaport",
                                 "smtps://user:hunter2@host?starttls=1"])
def test_a_wrong_smtp_url_stops_the_start_without_repeating_it(url):
    with pytest.raises(RuntimeError, match="SMTP_URL") as refused:
        settings.smtp_url_settings(url)
    assert "hunter2" not in str(refused.value)


def test_mailgun_and_sendgrid_add_on_variables(env):
    assert settings.mail_settings() is None
    env.setenv("SENDGRID_USERNAME", "apikey")
    env.setenv("SENDGRID_PASSWORD", "SG.secret")
    assert settings.mail_settings() == {"MAIL_SERVER": "smtp.sendgrid.net", "MAIL_PORT": 587, "MAIL_USERNAME": "apikey",
                                        "MAIL_PASSWORD": "SG.secret", "MAIL_USE_TLS": True, "MAIL_USE_SSL": False}
    for name, value in (("MAILGUN_SMTP_SERVER", "smtp.mailgun.org"), ("MAILGUN_SMTP_PORT", "2525"),
                        ("MAILGUN_SMTP_LOGIN", "postmaster@mg.example.com"), ("MAILGUN_SMTP_PASSWORD", "mg-secret")):
        env.setenv(name, value)
    found = settings.mail_settings()
    assert (found["MAIL_SERVER"], found["MAIL_PORT"], found["MAIL_USERNAME"]) == \
        ("smtp.mailgun.org", 2525, "postmaster@mg.example.com")
    env.setenv("SMTP_URL", "smtp://relay.example.com:587?starttls=1")
    assert settings.mail_settings()["MAIL_SERVER"] == "relay.example.com"  # SMTP_URL first


def test_development_without_mail_has_it_off(env, tmp_path):
    env.setenv("INSTANCE_PATH", str(tmp_path))
    config = Config("development")
    assert config.MAIL_ENABLED is False and config.DEV_MAILBOX is None


def test_production_with_mail_needs_public_url_and_logs_no_secret(env, tmp_path, caplog):
    env.setenv("INSTANCE_PATH", str(tmp_path))
    env.setenv("SECRET_KEY", "a-production-secret")
    env.setenv("SMTP_URL", "smtp://mailer:hunter2-secret@smtp.example.com:587?starttls=true")
    with caplog.at_level(logging.DEBUG), pytest.raises(RuntimeError, match="PUBLIC_URL must be set"):
        Config("production")
    env.setenv("PUBLIC_URL", "https://dreamdot.example.com/")
    with caplog.at_level(logging.DEBUG):
        config = Config("production")
    assert config.MAIL_ENABLED and config.PUBLIC_URL == "https://dreamdot.example.com"
    assert config.MAIL_PASSWORD == "hunter2-secret" and config.MAIL_USE_TLS
    assert "MAIL_FROM is not set" in caplog.text
    assert "hunter2" not in caplog.text
