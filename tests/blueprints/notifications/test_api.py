"""GET /api/notifications and POST /api/notifications/read."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services import notifications
from tests.conftest import bearer, csrf_token
from tests.factories import UserFactory


@pytest.fixture
def bea():
    return UserFactory(display_name="Bea")


@pytest.fixture
def ada():
    return UserFactory(display_name="Ada")


def notify(user, actor, n=1, kind="like"):
    made = [notifications.notify(user.id, kind, actor_id=actor.id, target_type="post", target_id=7,
                                 url="/p/7") for _ in range(n)]
    db.session.commit()
    return made


def test_anonymous_gets_401_json(client):
    for response in (client.get("/api/notifications"), client.post("/api/notifications/read", json={})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_list_with_pages_and_unread(app, bea, ada):
    made = notify(bea, ada, n=3)
    auth = bearer(app, bea)
    client = app.test_client()
    first = client.get("/api/notifications?limit=2", headers=auth).get_json()
    assert [n["id"] for n in first["notifications"]] == [made[2].id, made[1].id]
    assert first["unread"] == 3 and first["next_cursor"]
    note = first["notifications"][0]
    assert note["kind"] == "like" and note["message"] == "Ada liked your post"
    assert note["actor"]["username"] == ada.username and note["read"] is False
    assert note["url"] == "/p/7" and note["created_at"].endswith("+00:00")
    body = client.get(f"/api/notifications?limit=2&cursor={first['next_cursor']}", headers=auth).get_json()
    assert [n["id"] for n in body["notifications"]] == [made[0].id]
    assert body["next_cursor"] is None


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
                                          ("cursor=tampered", "cursor")])
def test_bad_paging_is_400(app, bea, query, field):
    response = app.test_client().get(f"/api/notifications?{query}", headers=bearer(app, bea))
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_mark_some_read(app, bea, ada):
    made = notify(bea, ada, n=3)
    theirs = notify(ada, bea)
    response = app.test_client().post("/api/notifications/read", headers=bearer(app, bea),
                                      json={"ids": [made[0].id, made[1].id, theirs[0].id]})
    assert response.status_code == 200
    assert response.get_json() == {"marked": 2, "unread": 1}
    assert notifications.unread_count(ada.id) == 1


def test_mark_all_read(app, bea, ada):
    notify(bea, ada, n=3)
    for body in ({}, {"all": True}):
        response = app.test_client().post("/api/notifications/read", headers=bearer(app, bea), json=body)
        assert response.status_code == 200 and response.get_json()["unread"] == 0


@pytest.mark.parametrize("ids", ["1,2", [1, "2"], [True], [0], [-3], {"a": 1}, list(range(1, 502))])
def test_bad_ids_are_400_and_change_nothing(app, bea, ada, ids):
    notify(bea, ada, n=2)
    response = app.test_client().post("/api/notifications/read", headers=bearer(app, bea), json={"ids": ids})
    assert response.status_code == 400
    assert "ids" in response.get_json()["error"]["fields"]
    assert notifications.unread_count(bea.id) == 2


def test_cookie_requests_need_csrf_on_writes(auth_client, ada):
    notify(auth_client.user, ada)
    assert auth_client.get("/api/notifications").get_json()["unread"] == 1
    assert auth_client.post("/api/notifications/read", json={}).status_code == 400
    token = csrf_token(auth_client, "/")
    response = auth_client.post("/api/notifications/read", json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["unread"] == 0


def test_described_in_openapi(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "get" in spec["paths"]["/api/notifications"]
    assert "post" in spec["paths"]["/api/notifications/read"]
    assert "Notification" in spec["components"]["schemas"]
