"""The communities JSON API of api.md, and its OpenAPI description."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.community import Community, CommunityPost, CommunityReply, Membership
from app.services.communities import threads as t
from tests.conftest import bearer, csrf_token, sign_in
from tests.factories import UserFactory, add_member, make_community


@pytest.fixture
def owner(app):
    return UserFactory()


@pytest.fixture
def auth(app, owner):
    return bearer(app, owner)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_and_show(client, auth, owner):
    response = client.post("/api/communities", json={"name": "Ink Club", "slug": "ink-club",
                                                     "description": "pens", "visibility": "private"}, headers=auth)
    assert response.status_code == 201
    body = response.get_json()
    assert body["community"]["slug"] == "ink-club" and body["community"]["visibility"] == "private"
    assert body["community"]["member_count"] == 1 and body["membership"]["role"] == "owner"
    shown = client.get("/api/communities/ink-club", headers=auth).get_json()
    assert shown["membership"]["role"] == "owner"
    anonymous = client.get("/api/communities/ink-club").get_json()
    assert anonymous["membership"] is None and anonymous["community"]["name"] == "Ink Club"


def test_create_bad_input(client, auth):
    make_community(slug="taken")
    cases = [
        ({"name": "Fine", "slug": "taken"}, 409, "slug_taken"),
        ({"name": "Fine", "slug": "NO WAY"}, 400, "validation_failed"),
        ({"name": "Fine", "slug": "api"}, 400, "validation_failed"),
        ({"name": "Fine", "slug": "fine", "visibility": "hidden"}, 400, "validation_failed"),
        ({"name": 5, "slug": "fine"}, 400, "validation_failed"),
    ]
    for payload, status, code in cases:
        response = client.post("/api/communities", json=payload, headers=auth)
        assert response.status_code == status, payload
        assert response.get_json()["error"]["code"] == code
    assert client.post("/api/communities", data="[1]", content_type="application/json",
                       headers=auth).status_code == 400
    assert _count(Community) == 1


def test_create_needs_auth_and_cookie_needs_csrf(client, owner):
    payload = {"name": "Ink Club", "slug": "ink-club"}
    anonymous = client.post("/api/communities", json=payload)
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "unauthorized"
    sign_in(client, owner)
    forged = client.post("/api/communities", json=payload)
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "csrf_failed"
    assert _count(Community) == 0
    token = csrf_token(client, "/")
    created = client.post("/api/communities", json=payload, headers={"X-CSRFToken": token})
    assert created.status_code == 201 and created.get_json()["membership"]["role"] == "owner"
    assert db.session.scalars(sa.select(Community.slug)).all() == ["ink-club"]


def test_directory(client):
    make_community(name="Pottery", slug="pottery")
    make_community(name="Painting", slug="painting")
    body = client.get("/api/communities?q=pot").get_json()
    assert [c["slug"] for c in body["communities"]] == ["pottery"] and body["next_cursor"] is None
    page = client.get("/api/communities?limit=1&sort=new").get_json()
    assert len(page["communities"]) == 1 and page["next_cursor"]
    rest = client.get(f"/api/communities?limit=1&sort=new&cursor={page['next_cursor']}").get_json()
    assert rest["communities"][0]["slug"] != page["communities"][0]["slug"]
    bad_cursor, bad_limit = client.get("/api/communities?cursor=%%%"), client.get("/api/communities?limit=abc")
    assert bad_cursor.status_code == 400 and bad_cursor.get_json()["error"]["code"] == "invalid_cursor"
    assert bad_limit.status_code == 400 and list(bad_limit.get_json()["error"]["fields"]) == ["limit"]


@pytest.mark.parametrize("limit", ["0", "101", "1000", "-1", "2.5"])
def test_an_out_of_range_limit_is_refused_like_every_other_list(client, owner, limit):
    community = make_community(owner, slug="lists")
    for path in ("/api/communities", f"/api/communities/{community.slug}/posts"):
        response = client.get(f"{path}?limit={limit}")
        assert response.status_code == 400, path
        assert response.get_json()["error"]["fields"]["limit"]


def test_join_leave_public(app, client, owner):
    community = make_community(owner, slug="open")
    user = UserFactory()
    headers = bearer(app, user)
    response = client.post("/api/communities/open/join", headers=headers)
    assert response.status_code == 200 and response.get_json()["membership"]["status"] == "active"
    twice = client.post("/api/communities/open/join", headers=headers)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_member"
    assert db.session.get(Community, community.id).member_count == 2
    assert client.post("/api/communities/open/leave", headers=headers).get_json() == {"membership": None}
    again = client.post("/api/communities/open/leave", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_member"
    assert db.session.get(Community, community.id).member_count == 1
    missing = client.post("/api/communities/nope/join", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "community_not_found"
    assert _count(Membership) == 1


def test_private_request_approval_and_posts(app, client, owner, auth):
    make_community(owner, slug="closed", visibility="private")
    user = UserFactory()
    headers = bearer(app, user)
    pending = client.post("/api/communities/closed/join", headers=headers).get_json()["membership"]
    assert pending["status"] == "pending"
    assert client.get("/api/communities/closed/posts", headers=headers).status_code == 404
    hidden = client.post("/api/communities/closed/posts", json={"title": "t", "body": "b"}, headers=headers)
    assert hidden.status_code == 404
    # A pending member is not told the community exists, and writes nothing in it.
    assert hidden.get_json()["error"]["code"] == "community_not_found" and _count(CommunityPost) == 0
    requests = client.get("/api/communities/closed/requests", headers=auth).get_json()["requests"]
    assert [r["user_id"] for r in requests] == [user.id]
    approved = client.post("/api/communities/closed/members/approve", json={"user_id": user.id}, headers=auth)
    assert approved.get_json()["membership"]["status"] == "active"
    created = client.post("/api/communities/closed/posts", json={"title": "Hello", "body": "**hi**"}, headers=headers)
    assert created.status_code == 201
    post = created.get_json()["post"]
    assert post["body_html"] == "<p><strong>hi</strong></p>" and post["author"]["id"] == user.id
    listed = client.get("/api/communities/closed/posts", headers=auth).get_json()
    assert [p["id"] for p in listed["posts"]] == [post["id"]] and listed["next_cursor"] is None
    outsider = bearer(app, UserFactory())
    assert client.get(f"/api/communities/posts/{post['id']}", headers=outsider).status_code == 404
    assert client.get(f"/api/communities/closed/posts/{post['id']}", headers=outsider).status_code == 404
    shown = client.get(f"/api/communities/posts/{post['id']}", headers=headers)
    assert shown.status_code == 200 and shown.get_json()["post"]["title"] == "Hello"


def test_posts_pagination_and_validation(app, client, owner, auth):
    community = make_community(owner, slug="busy")
    for i in range(3):
        t.create_post(community, owner, title=f"T{i}", body="b")
    db.session.commit()
    first = client.get("/api/communities/busy/posts?limit=2").get_json()
    second = client.get(f"/api/communities/busy/posts?limit=2&cursor={first['next_cursor']}").get_json()
    assert [p["title"] for p in first["posts"] + second["posts"]] == ["T2", "T1", "T0"]
    assert second["next_cursor"] is None
    bad = client.post("/api/communities/busy/posts", json={"title": "", "body": ""}, headers=auth)
    assert bad.status_code == 400 and set(bad.get_json()["error"]["fields"]) == {"title", "body"}


def test_replies_likes_and_moderation(app, client, owner, auth):
    community = make_community(owner, slug="talk")
    member = UserFactory()
    add_member(community, member)
    headers = bearer(app, member)
    post = t.create_post(community, member, title="Q", body="b")
    db.session.commit()
    base = f"/api/communities/talk/posts/{post.id}"
    reply = client.post(f"{base}/replies", json={"body": "answer"}, headers=auth)
    assert reply.status_code == 201 and reply.get_json()["reply"]["body_html"] == "<p>answer</p>"
    assert client.get(f"{base}/replies").get_json()["replies"][0]["author"]["id"] == owner.id
    assert client.post(f"{base}/likes", headers=headers).get_json() == {"liked": True, "like_count": 1}
    assert client.delete(f"{base}/likes", headers=headers).get_json() == {"liked": False, "like_count": 0}
    assert client.post(f"{base}/lock", headers=headers).status_code == 403
    db.session.expire_all()
    assert not db.session.get(CommunityPost, post.id).locked
    assert client.post(f"{base}/lock", headers=auth).get_json()["post"]["locked"] is True
    locked = client.post(f"{base}/replies", json={"body": "late"}, headers=headers)
    assert locked.status_code == 403 and locked.get_json()["error"]["code"] == "thread_locked"
    assert _count(CommunityReply) == 1
    reply_id = reply.get_json()["reply"]["id"]
    assert client.post(f"/api/communities/talk/replies/{reply_id}/remove", json={"reason": "dup"},
                       headers=auth).status_code == 204
    assert client.post(f"{base}/remove", json={}, headers=auth).status_code == 400
    db.session.expire_all()
    assert db.session.get(CommunityPost, post.id).removed_at is None  # a moderator gives a reason
    assert client.post(f"{base}/remove", json={"reason": "done"}, headers=auth).status_code == 204
    assert client.get(base).status_code == 404
    log = client.get("/api/communities/talk/log", headers=auth).get_json()["events"]
    assert [e["action"] for e in log][:3] == ["post_removed", "reply_deleted_by_author", "post_locked"]
    refused = client.get("/api/communities/talk/log", headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {"code": "forbidden", "message": "Only moderators do that."}


def test_member_actions_bad_input(app, client, owner, auth):
    community = make_community(owner, slug="crew")
    member, moderator = UserFactory(), UserFactory()
    add_member(community, member)
    add_member(community, moderator, role="moderator")
    as_member, as_mod = bearer(app, member), bearer(app, moderator)
    selfpromo = client.post("/api/communities/crew/members/role", json={"user_id": member.id, "role": "moderator"},
                            headers=as_member)
    assert selfpromo.status_code == 403
    coup = client.post("/api/communities/crew/members/ban", json={"user_id": owner.id}, headers=as_mod)
    assert coup.status_code == 403
    assert client.post("/api/communities/crew/members/role", json={"user_id": member.id, "role": "owner"},
                       headers=auth).status_code == 400
    assert client.post("/api/communities/crew/members/ban", json={"user_id": "x"}, headers=auth).status_code == 400
    banned = client.post("/api/communities/crew/members/ban", json={"user_id": member.id, "reason": "spam"},
                         headers=as_mod)
    assert banned.get_json()["membership"]["status"] == "banned"
    rejoin = client.post("/api/communities/crew/join", headers=as_member)
    assert rejoin.status_code == 403 and rejoin.get_json()["error"]["code"] == "banned"
    posting = client.post("/api/communities/crew/posts", json={"title": "t", "body": "b"}, headers=as_member)
    assert posting.status_code == 403 and posting.get_json()["error"]["code"] == "banned"
    assert _count(CommunityPost) == 0
    memberships = {(ms.user_id, ms.role, ms.status) for ms in db.session.scalars(sa.select(Membership))}
    assert (owner.id, "owner", "active") in memberships and (moderator.id, "moderator", "active") in memberships
    members = client.get("/api/communities/crew/members").get_json()["members"]
    assert [x["role"] for x in members] == ["owner", "moderator"]


def test_every_community_route_is_in_openapi(app, client):
    spec = client.get("/api/openapi.json").get_json()
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/communities"):
            continue
        paths = [rule.rule]
        choice = re.search(r"<any\(([^)]*)\):\w+>", rule.rule)
        if choice:
            paths = [rule.rule.replace(choice.group(0), option.strip()) for option in choice.group(1).split(",")]
        for path in paths:
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
            assert path in documented, path
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in spec["paths"][path], (method, path)


def test_create_with_icon_and_banner_multipart(client, auth):
    import io

    from tests.factories import make_image

    response = client.post("/api/communities", headers=auth, content_type="multipart/form-data", data={
        "name": "Pictures", "slug": "pictures", "visibility": "public",
        "icon": (io.BytesIO(make_image()), "icon.png"),
        "banner": (io.BytesIO(make_image(size=(600, 200))), "banner.png"),
    })
    assert response.status_code == 201
    community = response.get_json()["community"]
    assert community["icon_url"] and community["banner_url"]
    bad = client.post("/api/communities", headers=auth, content_type="multipart/form-data", data={
        "name": "Broken", "slug": "broken", "icon": (io.BytesIO(b"nope"), "icon.png")})
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"] == {"icon": "Not a JPEG, PNG, WebP or GIF image."}
    assert _count(Community) == 1
