"""Password reset by mail, pages and API: the same answer for known and unknown addresses,
a single-use link valid for an hour, every session and API token revoked after the change,
and refusals (used, expired, forged, of another kind) that say so and change nothing. The
mails are read from the test process's local SMTP server."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, AuthSession, MailToken, SigninThrottle, User
from app.models.base import utcnow
from app.services import accounts
from app.services.accounts import mail_tokens, password_reset, throttle
from app.services.accounts.passwords import verify_password
from tests.conftest import HTMX, bearer, csrf_token, sign_in, signin_form
from tests.factories import PASSWORD, UserFactory
from tests.mail import all_mails, html_of, links_in, mails_to, text_of

NEW_PASSWORD = "lantern-orchard-4471"
SENT = "If an account on DreamDot uses that address"
REFUSED = "This link is used, expired or not valid"
XSS = "<script>alert(1)</script>"


def ask(client, email, **headers):
    token = csrf_token(client, "/password-reset")
    return client.post("/password-reset", data={"email": email, "csrf_token": token}, headers=headers)


def reset_link(address: str) -> str:
    (mail,) = mails_to(address)
    (link,) = [link for link in links_in(mail) if "/password-reset/confirm" in link]
    return link


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def confirm(client, token, password=NEW_PASSWORD, **headers):
    csrf = csrf_token(client, "/password-reset")
    return client.post("/password-reset/confirm", data={"token": token, "password": password, "csrf_token": csrf},
                       headers=headers)


def API():
    """A client without cookies, as an app calls the API (a cookie call would need CSRF)."""
    from flask import current_app

    return current_app.test_client()


def password_of(user) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


def token_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(MailToken))


# The request: one answer for every address -------------------------------------------


def test_the_sign_in_page_links_to_the_request_form(client):
    page = client.get("/signin").get_data(as_text=True)
    assert 'href="/password-reset">Forgot your password?</a>' in page
    form = client.get("/password-reset")
    assert form.status_code == 200
    assert 'name="email"' in form.get_data(as_text=True) and "Send me a link" in form.get_data(as_text=True)
    fragment = client.get("/password-reset", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith("<form id=\"password-reset-form\"") and "<html" not in fragment


def test_a_known_address_gets_a_link_and_an_unknown_one_the_same_answer(client, user):
    known = ask(client, user.email.upper())  # the address as typed, in any case
    unknown = ask(client, "nobody@example.com")
    for response in (known, unknown):
        assert response.status_code == 303 and response.headers["Location"] == "/password-reset/sent"
    page = client.get("/password-reset/sent")
    assert page.status_code == 200 and SENT in page.get_data(as_text=True)
    assert user.email not in page.get_data(as_text=True)

    assert mails_to("nobody@example.com") == []
    (mail,) = mails_to(user.email)
    assert mail["Subject"] == "Reset your DreamDot password"
    assert mail["From"] == "DreamDot <no-reply@dreamdot.test>"
    link = reset_link(user.email)
    assert link.startswith("http://localhost/password-reset/confirm?token=")
    assert link in html_of(mail) and f"@{user.username}" in text_of(mail) and "60 minutes" in text_of(mail)
    # Only a hash of the token is stored.
    (row,) = db.session.scalars(sa.select(MailToken)).all()
    assert row.token_hash == mail_tokens.token_hash(token_of(link)) != token_of(link)
    assert row.purpose == "password_reset" and row.user_id == user.id and row.used_at is None
    assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)


def test_with_htmx_the_request_redirects_to_the_same_page(client, user):
    for email in (user.email, "nobody@example.com"):
        response = ask(client, email, **HTMX)
        assert response.status_code == 204 and response.headers["HX-Redirect"] == "/password-reset/sent"
    assert len(mails_to(user.email)) == 1


def test_the_api_answers_202_for_known_and_unknown_addresses_alike(client, user):
    known = API().post("/api/auth/password-reset", json={"email": user.email})
    unknown = API().post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert len(mails_to(user.email)) == 1 and mails_to("nobody@example.com") == []


def test_a_suspended_account_gets_no_link(client):
    suspended = UserFactory(suspended_at=utcnow())
    assert API().post("/api/auth/password-reset", json={"email": suspended.email}).status_code == 202
    assert all_mails() == [] and token_rows() == 0


def test_what_is_not_an_address_is_refused_beside_the_field_and_nothing_is_stored(client, user):
    for bad in ("not an address", f"{XSS}@example.com", "a" * 300):
        response = ask(client, bad)
        body = response.get_data(as_text=True)
        assert response.status_code == 422
        assert 'id="email-error"' in body and XSS not in body
    response = API().post("/api/auth/password-reset", json={"email": XSS})
    assert response.status_code == 400 and response.get_json()["error"]["fields"]["email"]
    for body in ({}, {"email": 42}, ["a"]):
        assert API().post("/api/auth/password-reset", json=body).status_code == 400
    assert all_mails() == [] and token_rows() == 0


def test_asking_twice_within_a_minute_sends_one_mail_then_only_the_newest_link_works(client, user, monkeypatch):
    ask(client, user.email)
    ask(client, user.email)  # a double submit
    first = reset_link(user.email)
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(password_reset, "utcnow", lambda: later)
    ask(client, user.email)
    links = [link for mail in mails_to(user.email) for link in links_in(mail) if "confirm" in link]
    assert len(links) == 2 and links[0] == first
    assert confirm(client, token_of(first)).status_code == 422  # replaced by the newer one
    assert confirm(client, token_of(links[1])).status_code == 303


def test_the_request_is_rate_limited_per_address(make_app, user):
    other = make_app(RATELIMIT_PASSWORD_RESET="2 per minute")
    statuses = [other.test_client().post("/api/auth/password-reset", json={"email": user.email}).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]


def test_no_mail_leaves_for_work_that_was_rolled_back(app, user):
    accounts.request_password_reset(user.email, link="http://localhost/password-reset/confirm")
    db.session.rollback()
    assert all_mails() == [] and token_rows() == 0


@pytest.mark.parametrize(("status", "sent"), [(200, 1), (422, 0), (500, 0)])
def test_a_mail_leaves_only_when_the_requests_unit_of_work_commits(make_app, user, status, sent):
    from app.web.work import unit_of_work

    application, email = make_app(), user.email

    @unit_of_work
    def ask_then_answer(status):
        accounts.request_password_reset(email, link="http://localhost/password-reset/confirm")
        if status == 500:
            raise RuntimeError("boom")
        return "done", status

    application.add_url_rule("/work/<int:status>", "work_mail_test", ask_then_answer)
    assert application.test_client().get(f"/work/{status}").status_code == status
    application.extensions["dreamdot.outbox"].wait()
    assert len(mails_to(email)) == sent and token_rows() == sent


def test_a_mail_that_cannot_be_sent_is_a_warning_without_token_or_address(make_app, user, caplog):
    from devstores.servers import free_port

    other = make_app(MAIL_PORT=free_port())  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="dreamdot.mail"):
        response = other.test_client().post("/api/auth/password-reset", json={"email": user.email})
        other.extensions["dreamdot.outbox"].wait()
    assert response.status_code == 202  # the same answer
    (record,) = [r for r in caplog.records if r.name == "dreamdot.mail"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"mail password_reset for user {user.id} was not sent (ConnectionRefusedError)"
    assert user.email not in caplog.text


def test_links_start_with_public_url_never_with_the_requests_host(make_app, user):
    other = make_app(PUBLIC_URL="https://dreamdot.example")
    response = other.test_client().post("/api/auth/password-reset", json={"email": user.email},
                                        headers={"Host": "evil.example"})
    assert response.status_code == 202
    other.extensions["dreamdot.outbox"].wait()
    assert reset_link(user.email).startswith("https://dreamdot.example/password-reset/confirm?token=")


# Setting the new password ---------------------------------------------------------


@pytest.fixture
def link(client, user) -> str:
    ask(client, user.email)
    return reset_link(user.email)


def test_the_link_sets_a_new_password_and_ends_every_session_and_token(app, client, user, link):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user)
    api = bearer(app, user)
    for _ in range(6):
        throttle.record_failure(user)
    page = client.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"@{user.username}" in body and 'autocomplete="new-password"' in body
    assert token_of(link) in body  # the hidden field carries it to the post

    response = confirm(client, token_of(link))
    assert response.status_code == 303 and response.headers["Location"] == "/signin"
    assert "Sign in with it" in client.get("/signin").get_data(as_text=True)
    assert verify_password(password_of(user), NEW_PASSWORD)
    # Every browser session and API token is revoked; the sign-in wait is cleared.
    assert laptop.get("/api/auth/me").status_code == 401
    assert phone.get("/api/auth/me", headers=api).status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)
                             .where(AuthSession.revoked_at.is_(None))) == 0
    assert db.session.get(SigninThrottle, user.id) is None
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "password_reset")).all()
    assert event.user_id == user.id and event.details["sessions_ended"] == 2
    # The old password no longer signs in; the new one does.
    assert signin_form(app.test_client(), user.username, PASSWORD).status_code == 422
    assert signin_form(app.test_client(), user.username, NEW_PASSWORD).status_code == 303


def test_with_htmx_the_password_is_set_and_the_browser_sent_to_sign_in(client, user, link):
    response = confirm(client, token_of(link), **HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/signin"
    assert verify_password(password_of(user), NEW_PASSWORD)


def test_the_api_sets_the_password_and_revokes_every_token(app, client, user, link):
    api = bearer(app, user)
    response = API().post("/api/auth/password-reset/confirm", json={"token": token_of(link), "password": NEW_PASSWORD})
    assert response.status_code == 200 and response.get_json()["user"]["username"] == user.username
    assert client.get("/api/auth/me", headers=api).status_code == 401
    again = API().post("/api/auth/password-reset/confirm", json={"token": token_of(link), "password": "x" + NEW_PASSWORD})
    assert again.status_code == 400 and again.get_json()["error"]["code"] == "invalid_token"
    assert verify_password(password_of(user), NEW_PASSWORD)


def test_a_double_submit_sets_the_password_once_and_the_second_is_told_why(client, user, link):
    assert confirm(client, token_of(link)).status_code == 303
    changed = password_of(user)
    for headers in ({}, HTMX):
        response = confirm(client, token_of(link), password="another-password-5512", **headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and REFUSED in body and "Ask for a new link" in body
    assert password_of(user) == changed
    reopened = client.get(link.removeprefix("http://localhost"))
    assert reopened.status_code == 400 and REFUSED in reopened.get_data(as_text=True)
    assert 'name="password"' not in reopened.get_data(as_text=True)


def test_an_expired_link_is_refused_and_changes_nothing(client, user, link):
    db.session.execute(sa.update(MailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    before = password_of(user)
    page = client.get(link.removeprefix("http://localhost"))
    assert page.status_code == 400 and REFUSED in page.get_data(as_text=True)
    assert confirm(client, token_of(link)).status_code == 422
    api = API().post("/api/auth/password-reset/confirm", json={"token": token_of(link), "password": NEW_PASSWORD})
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "invalid_token"
    assert password_of(user) == before


@pytest.mark.parametrize("forged", ["", "not-a-token", "A" * 43, "A" * 5000, XSS, "%00", "token\x00"])
def test_a_forged_token_is_refused_and_changes_nothing(client, user, link, forged):
    before = password_of(user)
    response = confirm(client, forged)
    body = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert XSS not in body
    if response.status_code == 422:
        assert REFUSED in body
    api = API().post("/api/auth/password-reset/confirm", json={"token": forged, "password": NEW_PASSWORD})
    assert api.status_code == 400
    page = client.get("/password-reset/confirm", query_string={"token": forged})
    assert page.status_code == 400 and XSS not in page.get_data(as_text=True)
    assert password_of(user) == before
    assert db.session.scalar(sa.select(MailToken.used_at)) is None  # the real link still works


def test_an_email_change_link_is_not_a_reset_link(client, user):
    token = mail_tokens.issue(user, mail_tokens.EMAIL_CHANGE, "new@example.com", timedelta(hours=1))
    db.session.commit()
    before = password_of(user)
    assert confirm(client, token).status_code == 422
    assert password_of(user) == before


def test_another_users_link_resets_only_that_account(client, user, link):
    other = UserFactory()
    other_before = password_of(other)
    assert confirm(client, token_of(link)).status_code == 303
    assert password_of(other) == other_before


def test_a_password_that_breaks_the_rules_is_refused_and_the_link_still_works(client, user, link):
    before = password_of(user)
    for weak in ("short", "password123", user.username + "-extra-long"):
        response = confirm(client, token_of(link), password=weak)
        assert response.status_code == 422 and 'id="password-error"' in response.get_data(as_text=True)
    api = API().post("/api/auth/password-reset/confirm", json={"token": token_of(link), "password": "short"})
    assert api.status_code == 400 and api.get_json()["error"]["fields"]["password"]
    assert password_of(user) == before
    assert confirm(client, token_of(link), password=XSS + "-long-enough").status_code == 303
    assert verify_password(password_of(user), XSS + "-long-enough")


def test_an_email_change_voids_reset_links_sent_to_the_old_address(client, user, link):
    user.email, user.email_key = "moved@example.com", "moved@example.com"
    db.session.commit()
    before = password_of(user)
    response = confirm(client, token_of(link))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert REFUSED in body and 'name="password"' not in body
    page = client.get(link.removeprefix("http://localhost"))
    assert page.status_code == 400 and REFUSED in page.get_data(as_text=True)
    api = API().post("/api/auth/password-reset/confirm", json={"token": token_of(link), "password": NEW_PASSWORD})
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "invalid_token"
    # Nothing changed: the password, the link's row (not marked used), no reset recorded.
    assert password_of(user) == before
    assert db.session.scalar(sa.select(MailToken.used_at)) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "password_reset")) == 0


# Without mail -------------------------------------------------------------------------


def test_without_mail_the_pages_and_api_say_reset_is_off(make_app, user):
    other = make_app(MAIL_ENABLED=False)
    client = other.test_client()
    page = client.get("/password-reset").get_data(as_text=True)
    assert "Password reset is off on this DreamDot: it has no mail server configured." in page
    assert 'name="email"' not in page
    token = csrf_token(client, "/signin")
    response = client.post("/password-reset", data={"email": user.email, "csrf_token": token})
    assert response.status_code == 503
    assert "Password reset is off on this DreamDot" in response.get_data(as_text=True)
    api = other.test_client().post("/api/auth/password-reset", json={"email": user.email})
    assert api.status_code == 503 and api.get_json()["error"] == {
        "code": "mail_not_configured",
        "message": "Password reset is off on this DreamDot: it has no mail server configured."}
    other.extensions["dreamdot.outbox"].wait()
    assert all_mails() == [] and token_rows() == 0
