"""/settings/email: a new address is confirmed by a link sent to it; the address changes
only when the owner opens it (signed in as the same account, once, within a day), and the
old address is told at once. Refusals say why and change nothing; without mail the page says
plainly that changing the address is off."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, MailToken, User
from app.models.base import utcnow
from tests.conftest import HTMX, csrf_token, sign_in
from tests.factories import PASSWORD, UserFactory
from tests.mail import all_mails, links_in, mails_to, text_of

NEW = "fresh.address@example.org"
REFUSED = "This link is used, expired or not valid"
XSS = "<script>alert(1)</script>"


def ask(client, email=NEW, password=PASSWORD, **headers):
    token = csrf_token(client, "/settings/email")
    return client.post("/settings/email", data={"email": email, "current_password": password, "csrf_token": token},
                       headers=headers)


def confirm_link(address=NEW) -> str:
    (mail,) = mails_to(address)
    (link,) = [link for link in links_in(mail) if "/settings/email/confirm" in link]
    return link


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def confirm(client, token, **headers):
    csrf = csrf_token(client, "/settings/email")
    return client.post("/settings/email/confirm", data={"token": token, "csrf_token": csrf}, headers=headers)


def email_of(user) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).email


def test_the_page_renders_full_and_as_fragment_and_is_linked_from_settings(auth_client):
    page = auth_client.get("/settings/email").get_data(as_text=True)
    assert "<html" in page and auth_client.user.email in page and 'name="current_password"' in page
    fragment = auth_client.get("/settings/email", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="email-form"' in fragment
    assert 'href="/settings/email"' in auth_client.get("/settings/profile").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/settings/email").status_code == 302
    response = client.get("/settings/email/confirm?token=abc")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin?next=")


def test_a_link_goes_to_the_new_address_a_notice_to_the_old_and_nothing_changes_yet(auth_client):
    user = auth_client.user
    response = ask(auth_client)
    assert response.status_code == 303 and response.headers["Location"] == "/settings/email"
    page = auth_client.get("/settings/email").get_data(as_text=True)
    assert f"We sent a link to {NEW}" in page and "is waiting in that mailbox" in page
    assert email_of(user) == user.email  # not yet
    link = confirm_link()
    assert link.startswith("http://localhost/settings/email/confirm?token=")
    (notice,) = mails_to(user.email)
    assert notice["Subject"] == "Your DreamDot email address is about to change"
    assert NEW in text_of(notice) and links_in(notice) == []  # the notice carries no link to use
    (row,) = db.session.scalars(sa.select(MailToken)).all()
    assert row.purpose == "email_change" and row.email == NEW and row.token_hash != token_of(link)
    assert timedelta(hours=23) < row.expires_at - row.created_at <= timedelta(hours=24)


def test_opening_the_link_changes_the_address_once(auth_client):
    user = auth_client.user
    old = user.email
    ask(auth_client)
    link = confirm_link()
    page = auth_client.get(link.removeprefix("http://localhost"))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and NEW in body and "Use this address" in body
    assert email_of(user) == old  # a GET (a mail scanner's) changes nothing
    response = confirm(auth_client, token_of(link))
    assert response.status_code == 303 and response.headers["Location"] == "/settings/email"
    assert f"Your email address is now {NEW}." in auth_client.get("/settings/email").get_data(as_text=True)
    db.session.expire_all()
    changed = db.session.get(User, user.id)
    assert changed.email == NEW and changed.email_key == NEW.lower()
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "email_changed")).all()
    assert event.details == {"old_email": old, "new_email": NEW}
    # A double submit, with and without HTMX: refused, said, nothing more changes.
    for headers in ({}, HTMX):
        again = confirm(auth_client, token_of(link), **headers)
        assert again.status_code == 422 and REFUSED in again.get_data(as_text=True)
    assert email_of(user) == NEW


def test_with_htmx_the_request_and_the_confirmation_redirect(auth_client):
    response = ask(auth_client, **HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/settings/email"
    response = confirm(auth_client, token_of(confirm_link()), **HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/settings/email"
    assert email_of(auth_client.user) == NEW


def test_the_new_address_signs_in_and_gets_reset_links(app, auth_client):
    ask(auth_client)
    confirm(auth_client, token_of(confirm_link()))
    anonymous = app.test_client()
    assert anonymous.post("/api/auth/signin", json={"login": NEW, "password": PASSWORD}).status_code == 200
    anonymous.post("/api/auth/password-reset", json={"email": NEW})
    assert [m["Subject"] for m in mails_to(NEW)] == ["Confirm your new DreamDot email address",
                                                     "Reset your DreamDot password"]


@pytest.mark.parametrize(("email", "password", "field"), [
    (NEW, "not my password", "current_password"),
    ("not an address", PASSWORD, "email"),
    (f"{XSS}@example.com", PASSWORD, "email"),
    ("", PASSWORD, "email"),
    ("a" * 300 + "@example.com", PASSWORD, "email"),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_stored_or_sent(auth_client, email, password, field):
    response = ask(auth_client, email=email, password=password)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in body and XSS not in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailToken)) == 0
    assert all_mails() == [] and email_of(auth_client.user) == auth_client.user.email


def test_the_same_or_a_taken_address_is_refused(auth_client):
    taken = UserFactory()
    for address, why in ((auth_client.user.email.upper(), "already your email address"),
                         (taken.email, "An account with that email already exists")):
        response = ask(auth_client, email=address)
        assert response.status_code == 422 and why in response.get_data(as_text=True)
    assert all_mails() == []


def test_an_address_taken_before_the_link_is_opened_is_refused_then(auth_client):
    ask(auth_client)
    link = confirm_link()
    UserFactory(email=NEW, email_key=NEW)
    response = confirm(auth_client, token_of(link))
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)
    assert email_of(auth_client.user) != NEW


def test_another_users_link_is_refused_and_changes_nothing(app, auth_client):
    ask(auth_client)
    link = confirm_link()
    other = UserFactory()
    thief = app.test_client()
    sign_in(thief, other)
    page = thief.get(link.removeprefix("http://localhost"))
    assert page.status_code == 400 and "sent for another DreamDot account" in page.get_data(as_text=True)
    assert confirm(thief, token_of(link)).status_code == 422
    assert email_of(other) == other.email and email_of(auth_client.user) == auth_client.user.email
    assert confirm(auth_client, token_of(link)).status_code == 303  # still the owner's to use


@pytest.mark.parametrize("forged", ["", "forged-token", "B" * 43, "B" * 5000, XSS])
def test_a_forged_link_is_refused(auth_client, forged):
    page = auth_client.get("/settings/email/confirm", query_string={"token": forged})
    assert page.status_code == 400 and REFUSED in page.get_data(as_text=True)
    assert XSS not in page.get_data(as_text=True)
    assert confirm(auth_client, forged).status_code == 422
    assert email_of(auth_client.user) == auth_client.user.email


def test_an_expired_link_and_a_reset_link_are_refused(auth_client):
    from app.services.accounts import mail_tokens

    ask(auth_client)
    link = confirm_link()
    db.session.execute(sa.update(MailToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    reset = mail_tokens.issue(auth_client.user, mail_tokens.PASSWORD_RESET, NEW, timedelta(hours=1))
    db.session.commit()
    for token in (token_of(link), reset):
        assert confirm(auth_client, token).status_code == 422
    assert email_of(auth_client.user) == auth_client.user.email


def test_a_newer_request_and_a_password_change_void_the_link(auth_client):
    ask(auth_client)
    first = confirm_link()
    ask(auth_client, email="second@example.org")
    assert confirm(auth_client, token_of(first)).status_code == 422
    second = confirm_link("second@example.org")
    token = csrf_token(auth_client, "/settings/password")
    auth_client.post("/settings/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                 "new_password": "a brand new passphrase 81"})
    assert confirm(auth_client, token_of(second)).status_code == 422
    assert email_of(auth_client.user) == auth_client.user.email


def test_without_mail_the_page_says_changing_is_off_and_refuses(make_app, user):
    other = make_app(MAIL_ENABLED=False)
    client = other.test_client()
    sign_in(client, user)
    page = client.get("/settings/email").get_data(as_text=True)
    assert "Changing your email address is off on this DreamDot: it has no mail server configured" in page
    assert 'name="current_password"' not in page
    response = ask(client)
    assert response.status_code == 503
    assert "Changing your email address is off on this DreamDot" in response.get_data(as_text=True)
    other.extensions["dreamdot.outbox"].wait()
    assert all_mails() == [] and email_of(user) == user.email
