"""`flask seed`, `flask admin create`, and the audit trail of account events."""

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, User
from tests.conftest import csrf_token
from tests.factories import PASSWORD, UserFactory

UA = {"User-Agent": "AuditTest/1.0"}


def test_seed_creates_demo_users_sized_by_option_into_empty_databases_only(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--users", "4"])
    assert result.exit_code == 0, result.output
    assert "users: 4" in result.output
    names = set(db.session.scalars(sa.select(User.username)))
    assert names == {"demo", "demo1", "demo2", "demo3"}
    again = runner.invoke(args=["seed", "--users", "9"])
    assert again.exit_code == 1
    assert "already hold data (4 users" in again.output and "fills empty databases only" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 4


def test_seed_refuses_a_database_with_a_real_account_and_writes_nothing(app):
    UserFactory(username="realperson")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed", "--users", "3"])
    assert result.exit_code == 1 and "1 users" in result.output
    assert set(db.session.scalars(sa.select(User.username))) == {"realperson"}


def test_seeded_users_can_sign_in(app, client):
    result = app.test_cli_runner().invoke(args=["seed", "--users", "1", "--password", "seeded-pass-123"])
    assert result.exit_code == 0, result.output
    response = client.post("/api/auth/signin", json={"login": "demo", "password": "seeded-pass-123"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["username"] == "demo"
    me = app.test_client().get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json()["user"]["username"] == "demo"


def test_admin_create_promotes_an_existing_user(app):
    user = UserFactory(username="ops")
    result = app.test_cli_runner().invoke(args=["admin", "create", "ops"])
    assert result.exit_code == 0, result.output
    assert "Promoted admin @ops" in result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).is_admin
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "admin_granted"))


def test_admin_create_makes_a_new_admin(app):
    result = app.test_cli_runner().invoke(
        args=["admin", "create", "boss", "--email", "boss@example.com", "--password", "violet-kettle-9921"])
    assert result.exit_code == 0, result.output
    assert "Created admin @boss" in result.output
    assert db.session.scalar(sa.select(User).where(User.username == "boss")).is_admin


def test_admin_create_prompts_for_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["admin", "create", "boss", "--email", "boss@example.com"],
        input="violet-kettle-9921\nviolet-kettle-9921\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User).where(User.username == "boss")).is_admin


def test_admin_create_refuses_bad_input_and_writes_nothing(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "create", "ghost"])
    assert result.exit_code != 0 and "give --email" in result.output
    result = runner.invoke(args=["admin", "create", "boss", "--email", "boss@example.com",
                                 "--password", "password123"])
    assert result.exit_code != 0 and "too common" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def assert_origin(event: AuditEvent, user_id):
    assert event.user_id == user_id
    assert event.ip == "127.0.0.1"
    assert event.user_agent == "AuditTest/1.0"
    assert event.created_at is not None and event.created_at.tzinfo is not None


def test_audit_rows_for_signup_signin_signout_and_profile_change(client):
    token = csrf_token(client, "/signup")
    client.post("/signup", headers=UA, data={"username": "alice", "email": "alice@example.com",
                                             "password": "violet-kettle-9921", "csrf_token": token})
    alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
    assert_origin(audit("signup")[0], alice.id)
    assert_origin(audit("signin")[0], alice.id)

    token = csrf_token(client, "/settings/profile")
    client.post("/settings/profile", headers={**UA, "X-CSRFToken": token}, data={"display_name": "Al"})
    event = audit("profile_update")[0]
    assert_origin(event, alice.id)
    assert event.details["fields"] == ["display_name"]

    client.post("/signout", headers={**UA, "X-CSRFToken": token})
    assert_origin(audit("signout")[0], alice.id)


def test_failed_signins_are_audited_although_the_request_fails(client, make_client, user):
    token = csrf_token(client, "/signin")
    response = client.post("/signin", headers=UA, data={"login": user.username, "password": "wrong-pass-1",
                                                       "csrf_token": token})
    assert response.status_code == 422
    api = make_client()  # no cookie: an API client
    response = api.post("/api/auth/signin", headers=UA, json={"login": "ghost", "password": PASSWORD})
    assert response.status_code == 401
    failed = audit("signin_failed")
    assert [e.user_id for e in failed] == [user.id, None]
    for event in failed:
        assert (event.ip, event.user_agent) == ("127.0.0.1", "AuditTest/1.0")
    assert [e.details["login"] for e in failed] == [user.username, "ghost"]
    assert audit("signin") == []


def test_a_failed_request_keeps_only_the_durable_audit_rows(client, user):
    from app.models.base import utcnow

    user.suspended_at = utcnow()
    db.session.commit()
    response = client.post("/api/auth/signin", headers=UA, json={"login": user.username, "password": PASSWORD})
    assert response.status_code == 403
    assert_origin(audit("signin_refused_suspended")[0], user.id)
    assert audit("signin") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1
