"""Failed sign-ins per account: after five, the account's sign-in waits (1, 2, 4 ...
minutes) whatever the address, the password unchecked; the owner's known browser and a
success are the ways back."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, AuthSession, SigninThrottle, User
from app.models.base import utcnow
from app.services import accounts
from app.services.accounts import sessions, throttle
from tests.conftest import csrf_token, sign_in
from tests.factories import PASSWORD

ADDRESSES = ("203.0.113.7", "198.51.100.23")
MESSAGE = "Too many failed sign-ins for this account"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved forward by tests."""
    now = [utcnow()]
    monkeypatch.setattr(throttle, "utcnow", lambda: now[0])
    return now


def page_signin(client, login, password, address=ADDRESSES[0]):
    token = csrf_token(client, "/signin")
    return client.post("/signin", data={"login": login, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def api_signin(client, login, password, address=ADDRESSES[1]):
    return client.post("/api/auth/signin", json={"login": login, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def guess(make_client, user, times):
    """`times` wrong passwords from two addresses in turn, each a fresh browser."""
    for n in range(times):
        response = page_signin(make_client(), user.username, f"wrong-guess-{n}", ADDRESSES[n % 2])
        assert response.status_code in (422, 429)


def throttle_row(user) -> SigninThrottle | None:
    """The account's failed sign-ins as stored now (written on a connection of their own)."""
    db.session.expire_all()
    return db.session.get(SigninThrottle, user.id)


def sessions_of(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)
                             .where(AuthSession.user_id == user.id))


def throttled_events():
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "signin_failed", AuditEvent.details["reason"].as_string() == "throttled"))


def test_after_five_failures_from_two_addresses_even_the_right_password_is_refused_unchecked(
        make_client, user, monkeypatch, clock):
    owner = make_client()
    sign_in(owner, user)
    hash_before = user.password_hash
    guess(make_client, user, 5)
    checked = []
    monkeypatch.setattr(sessions, "verify_password", lambda *args: checked.append(args) or True)

    page = page_signin(make_client(), user.username, PASSWORD, ADDRESSES[1])
    assert page.status_code == 422
    assert MESSAGE in page.get_data(as_text=True) and "Try again in 1 minute." in page.get_data(as_text=True)
    api = api_signin(make_client(), user.email, PASSWORD, ADDRESSES[0])
    assert api.status_code == 429
    assert api.get_json()["error"] == {"code": "too_many_attempts",
                                       "message": "Too many failed sign-ins for this account. Try again in 1 minute."}
    assert api.headers["Retry-After"] == "60"  # the account's wait, not the address limiter's
    assert checked == []  # no password oracle during the wait
    assert throttled_events() == 2
    # Nothing else about the account changed: its password, its one session (still valid).
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == hash_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 1
    assert owner.get("/settings/profile").status_code == 200


def test_the_wait_grows_and_is_capped_at_an_hour(make_client, user, clock):
    guess(make_client, user, 5)
    waits = []
    for _ in range(8):
        row = db.session.get(SigninThrottle, user.id)
        db.session.refresh(row)
        waits.append(row.locked_until - clock[0])
        clock[0] = row.locked_until + timedelta(seconds=1)
        assert api_signin(make_client(), user.username, "still-wrong").status_code == 401
    assert [w // timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_owners_known_browser_signs_in_during_the_wait_and_clears_the_count(make_client, user, clock):
    browser = make_client()
    assert page_signin(browser, user.username, PASSWORD).status_code == 303
    browser.post("/signout", data={"csrf_token": csrf_token(browser)})
    guess(make_client, user, 6)
    assert api_signin(make_client(), user.username, PASSWORD).status_code == 429

    assert page_signin(browser, user.username, PASSWORD, ADDRESSES[1]).status_code == 303
    assert db.session.get(SigninThrottle, user.id) is None
    assert api_signin(make_client(), user.username, PASSWORD).status_code == 200


def test_a_known_browser_of_another_account_or_a_forged_cookie_does_not_skip_the_wait(make_client, user, clock):
    from tests.factories import UserFactory

    other = UserFactory()
    browser = make_client()
    assert page_signin(browser, other.username, PASSWORD).status_code == 303
    guess(make_client, user, 5)
    page = page_signin(browser, user.username, PASSWORD)
    assert page.status_code == 422
    assert MESSAGE in page.get_data(as_text=True) and "Try again in 1 minute." in page.get_data(as_text=True)
    forged = make_client()
    forged.set_cookie("dreamdot_device", f"[[{user.id}, \"x\"]]")
    api = api_signin(forged, user.username, PASSWORD)
    assert api.status_code == 429
    assert api.get_json()["error"]["code"] == "too_many_attempts" and api.headers["Retry-After"] == "60"
    # Both were refused as throttled; the account got no session and its count stands.
    assert throttled_events() == 2
    assert sessions_of(user) == 0 and sessions_of(other) == 1
    assert throttle_row(user).failures == 5


def test_an_api_client_that_keeps_cookies_is_a_known_browser(make_client, user, clock):
    api_client = make_client()
    assert api_signin(api_client, user.username, PASSWORD).status_code == 200
    assert api_client.get_cookie("dreamdot_device") is not None
    guess(make_client, user, 5)
    stranger = api_signin(make_client(), user.username, PASSWORD)
    assert stranger.status_code == 429
    assert stranger.get_json()["error"]["code"] == "too_many_attempts"
    known = api_signin(api_client, user.username, PASSWORD)
    assert known.status_code == 200
    assert known.get_json()["user"]["username"] == user.username
    me = api_client.get("/api/auth/me", headers={"Authorization": f"Bearer {known.get_json()['token']}"})
    assert me.get_json()["user"]["id"] == user.id
    # Its success cleared the count; the stranger's refusal made no session.
    assert throttle_row(user) is None
    assert throttled_events() == 1 and sessions_of(user) == 2


def test_a_success_resets_the_count(make_client, user, clock):
    guess(make_client, user, 4)
    assert throttle_row(user).failures == 4
    first = api_signin(make_client(), user.username, PASSWORD)
    assert first.status_code == 200
    assert first.get_json()["user"]["username"] == user.username
    assert throttle_row(user) is None
    guess(make_client, user, 4)
    # Four again, not eight: no wait has started.
    row = throttle_row(user)
    assert row.failures == 4 and row.locked_until is None
    second = api_signin(make_client(), user.username, PASSWORD)
    assert second.status_code == 200
    assert second.get_json()["user"]["username"] == user.username
    assert throttle_row(user) is None
    assert throttled_events() == 0 and sessions_of(user) == 2


def test_failures_a_day_old_no_longer_count(make_client, user, clock):
    guess(make_client, user, 4)
    clock[0] += timedelta(days=1, seconds=1)
    guess(make_client, user, 1)
    assert db.session.get(SigninThrottle, user.id).failures == 1
    assert api_signin(make_client(), user.username, PASSWORD).status_code == 200


def test_a_password_change_resets_the_count(make_client, user, clock):
    guess(make_client, user, 5)
    accounts.change_password(user, PASSWORD, "a-brand-new-password-77")
    db.session.commit()
    assert db.session.get(SigninThrottle, user.id) is None
    assert api_signin(make_client(), user.username, "a-brand-new-password-77").status_code == 200
