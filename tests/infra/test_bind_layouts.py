"""The same code serves both layouts of the five binds: a database per bind (`make run` and the
rest of the suite) and one database holding them all (a dyno's single DATABASE_URL). Here the
main flows run, through the API, on an app whose binds all point at one fresh database: no
table or migration version table collides, and nothing depends on two binds being apart."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services.stores import bind_url
from config import BINDS, TestingConfig
from tests.stores import _with_database

PASSWORD = "violet-kettle-9921"  # noqa: S105 - a test password


@pytest.fixture
def one_database(app):
    """A fresh database on the suite's PostgreSQL server, for all five binds."""
    users_url = bind_url(app.config, "users")
    name = f"{sa.make_url(users_url).database}_shared"
    admin = sa.create_engine(_with_database(users_url, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.make_url(users_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def shared_app(make_app, one_database, tmp_path):
    config = TestingConfig(tmp_path / "shared")
    config.SQLALCHEMY_BINDS = dict.fromkeys(BINDS, one_database)
    return make_app(config)


def signup(client, username: str) -> dict:
    reply = client.post("/api/auth/signup", json={"username": username, "email": f"{username}@example.com",
                                                  "password": PASSWORD})
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    return {"id": body["user"]["id"], "headers": {"Authorization": f"Bearer {body['token']}"}}


def balance(client, user) -> int:
    return client.get("/api/auth/me", headers=user["headers"]).get_json()["balance"]["total_cents"]


def test_all_binds_in_one_database_serve_feed_purchases_blocks_and_notifications(shared_app):
    with shared_app.app_context():
        tables = set(sa.inspect(db.engines["users"]).get_table_names())
        assert {"users", "posts", "items", "ledger_entries", "communities", "audit_events"} <= tables
        assert len({engine.url for engine in db.engines.values()}) == 1

    client = shared_app.test_client()
    ada, bea, cy = signup(client, "ada"), signup(client, "bea"), signup(client, "cyd")
    item = client.post("/api/items/create", headers=ada["headers"], json={
        "kind": "writing", "title": "Tea notes", "description": "On tea", "pricing": "one_time",
        "price_cents": 500, "body_html": "<p>Free part</p><p>---paywall---</p><p>Paid part</p>"})
    assert item.status_code == 201, item.get_json()
    item_id = item.get_json()["item"]["id"]

    # Social: a follow puts the author's post in the follower's feed, with its author.
    assert client.post("/api/social/follow", headers=bea["headers"], json={"user_id": ada["id"]}).get_json() == {
        "following": True}
    post = client.post("/api/posts/create", headers=ada["headers"], json={"body": "New notes are up"})
    assert post.status_code == 201
    feed = client.get("/api/posts/feed", headers=bea["headers"]).get_json()["posts"]
    assert [(p["body"], p["author"]["username"]) for p in feed] == [("New notes are up", "ada")]

    # Money: bought once, charged once, the creator told; a second purchase changes nothing.
    before = balance(client, bea)
    bought = client.post(f"/api/items/{item_id}/purchase", headers=bea["headers"], json={})
    assert bought.status_code == 201, bought.get_json()
    assert balance(client, bea) == before - 500
    again = client.post(f"/api/items/{item_id}/purchase", headers=bea["headers"], json={})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_owned"
    assert balance(client, bea) == before - 500
    shown = client.get(f"/api/items/{item_id}", headers=bea["headers"]).get_json()
    assert shown["locked"] is False and "Paid part" in shown["content"]["body_html"]
    notes = client.get("/api/notifications", headers=ada["headers"]).get_json()["notifications"]
    assert any(note["kind"] == "sale" for note in notes)

    # A block (social) stops a purchase (items) in both directions, and charges nothing.
    assert client.post("/api/social/block", headers=cy["headers"], json={"user_id": ada["id"]}).status_code == 200
    cy_before = balance(client, cy)
    refused = client.post(f"/api/items/{item_id}/purchase", headers=cy["headers"], json={})
    assert refused.status_code == 404 and balance(client, cy) == cy_before

    verified = shared_app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0 and "ledger ok" in verified.output
