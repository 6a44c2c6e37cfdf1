"""Accounts service: the sign-up rules, authentication and password hashing."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, User
from app.models.base import utcnow
from app.services import Origin, accounts
from app.services.errors import Conflict, Invalid, NotAllowed, Unauthorized
from tests.factories import PASSWORD, UserFactory

GOOD_PASSWORD = "violet-kettle-9921"


def signup(username="alice", email="alice@example.com", password=GOOD_PASSWORD, **kw):
    return accounts.signup(username, email, password, **kw)


def users_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_signup_creates_a_user_with_normalized_keys():
    user = signup("Alice_01", "Alice@Example.COM", display_name="  Alice   W ")
    assert user.username == "alice_01"
    assert user.email_key == "alice@example.com"
    assert user.display_name == "Alice W"
    assert user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 31, "bad-name", "bad name", "émile", "", "<script>alert(1)</script>", "al<script>"],
)
def test_signup_refuses_bad_usernames(username):
    with pytest.raises(Invalid) as caught:
        signup(username=username)
    assert caught.value.status == 400
    assert "username" in caught.value.fields
    assert users_count() == 0


@pytest.mark.parametrize("username", ["abc", "a" * 30, "under_score_9"])
def test_signup_accepts_usernames_of_3_to_30(username):
    assert signup(username=username).username == username


def test_username_is_unique_ignoring_case():
    signup("alice")
    with pytest.raises(Conflict) as caught:
        signup("ALICE", email="other@example.com")
    assert caught.value.status == 409
    assert "username" in caught.value.fields


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com", "x" * 250 + "@e.com"])
def test_signup_refuses_malformed_email(email):
    with pytest.raises(Invalid) as caught:
        signup(email=email)
    assert "email" in caught.value.fields
    assert users_count() == 0


def test_email_is_unique_ignoring_case():
    signup("alice", "alice@example.com")
    with pytest.raises(Conflict) as caught:
        signup("bob", "ALICE@EXAMPLE.COM")
    assert "email" in caught.value.fields
    assert users_count() == 1


@pytest.mark.parametrize(
    "password, why",
    [
        ("short9x!", "at least 10"),
        ("x" * 9, "at least 10"),
        ("Zq" + "x9" * 128, "at most 256"),
        ("password123", "too common"),
        ("1234567890", "too common"),
        ("qwertyuiop", "too common"),
        ("aaaaaaaaaaaa", "too common"),
    ],
)
def test_signup_refuses_short_long_and_common_passwords(password, why):
    with pytest.raises(Invalid) as caught:
        signup(password=password)
    assert why in caught.value.fields["password"]
    assert users_count() == 0


def test_password_of_10_and_256_characters_is_accepted():
    assert signup("ten", "ten@example.com", "kx7-qpz!wm")
    assert signup("long", "long@example.com", ("kx7-qpz!wm" * 26)[:256])


def test_argon2id_at_owasp_parameters():
    user = signup()
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_signup_is_audited():
    user = signup(origin=Origin(ip="198.51.100.4", user_agent="UA"))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "signup"))
    assert (event.user_id, event.ip, event.user_agent) == (user.id, "198.51.100.4", "UA")


def test_authenticate_by_username_or_email_in_any_case():
    user = UserFactory(username="carol", email="Carol@Example.com", email_key="carol@example.com")
    assert accounts.authenticate("carol", PASSWORD) == user
    assert accounts.authenticate("CAROL", PASSWORD) == user
    assert accounts.authenticate("carol@example.com", PASSWORD) == user
    assert accounts.authenticate("CAROL@EXAMPLE.COM", PASSWORD) == user


def test_unknown_user_and_wrong_password_get_one_message():
    UserFactory(username="carol")
    with pytest.raises(Unauthorized) as unknown:
        accounts.authenticate("nobody", PASSWORD)
    with pytest.raises(Unauthorized) as wrong:
        accounts.authenticate("carol", "not-the-password")
    assert unknown.value.message == wrong.value.message
    assert unknown.value.code == wrong.value.code == "invalid_credentials"
    assert unknown.value.status == 401


def test_suspended_user_is_refused():
    UserFactory(username="carol", suspended_at=utcnow())
    with pytest.raises(NotAllowed) as caught:
        accounts.authenticate("carol", PASSWORD)
    assert caught.value.code == "suspended"


def test_session_row_is_refused_once_revoked_expired_or_suspended(user):
    auth = accounts.start_session(user)
    assert accounts.user_for_session(user.id, auth.id) == user
    auth.expires_at = utcnow()
    db.session.flush()
    assert accounts.user_for_session(user.id, auth.id) is None
    other = accounts.start_session(user)
    user.suspended_at = utcnow()
    db.session.flush()
    assert accounts.user_for_session(user.id, other.id) is None


def _statements_while(fn):
    seen = []

    def listener(conn, cursor, statement, *args):
        # (not BEGIN, nor the PREPARE a PostgreSQL connection sends once per statement)
        if not statement.startswith(("BEGIN", "PREPARE")):
            seen.append(statement)

    engine = db.engines["users"]
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        return fn(), seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def test_the_session_user_is_built_from_one_statement_and_behaves_as_a_loaded_one(user):
    auth_id, user_id = accounts.start_session(user).id, user.id
    db.session.commit()
    db.session.expunge_all()  # a request's new session: nothing loaded yet
    loaded, seen = _statements_while(lambda: accounts.user_for_session(user_id, auth_id))
    assert len(seen) == 1
    state = sa.inspect(loaded)
    assert state.persistent and not state.modified and loaded in db.session
    (_, more) = _statements_while(lambda: (loaded.username, loaded.name, loaded.created_at.tzinfo, loaded.is_admin))
    assert more == []  # every column came with the statement
    assert loaded is db.session.get(User, user_id)  # the session's own instance
    loaded.display_name = "Renamed"
    db.session.commit()  # a change to it is saved like any other
    db.session.expunge_all()
    assert db.session.get(User, user_id).display_name == "Renamed"


def test_the_session_user_already_in_the_session_is_that_instance_refreshed(user):
    auth = accounts.start_session(user)
    db.session.commit()  # expires the instance's attributes
    db.session.execute(sa.update(User).where(User.id == user.id).values(display_name="Changed"))
    found, seen = _statements_while(lambda: accounts.user_for_session(user.id, auth.id))
    assert found is user
    (_, more) = _statements_while(lambda: found.display_name)
    assert more == [] and found.display_name == "Changed"


def test_a_session_in_use_is_touched_at_most_every_five_minutes(user):
    from datetime import timedelta

    from app.models import AuthSession

    auth = accounts.start_session(user)
    db.session.commit()
    stale = utcnow() - timedelta(minutes=6)
    recent = utcnow() - timedelta(minutes=2)

    def last_seen():
        return db.session.scalar(sa.select(AuthSession.last_seen_at).where(AuthSession.id == auth.id)
                                 .execution_options(populate_existing=True))

    db.session.execute(sa.update(AuthSession).where(AuthSession.id == auth.id).values(last_seen_at=recent))
    assert accounts.user_for_session(user.id, auth.id).auth_session_id == auth.id
    assert last_seen() == recent
    db.session.execute(sa.update(AuthSession).where(AuthSession.id == auth.id).values(last_seen_at=stale))
    accounts.user_for_session(user.id, auth.id)
    assert last_seen() > recent


def test_token_is_signed_and_names_a_live_session(user):
    token = accounts.issue_token(user)
    assert accounts.user_for_token(token) == user
    assert accounts.user_for_token(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]) is None
    assert accounts.user_for_token("garbage") is None
    accounts.end_all_sessions(user)
    assert accounts.user_for_token(token) is None


def test_a_racing_signup_for_the_same_name_is_a_conflict(monkeypatch):
    signup("alice", "alice@example.com")
    db.session.commit()
    # Another request passed the availability check before this one inserted.
    monkeypatch.setattr("app.services.accounts.registration._taken", lambda *_: {})
    with pytest.raises(Conflict) as caught:
        signup("alice", "other@example.com")
    assert caught.value.code == "taken"
    assert users_count() == 1
