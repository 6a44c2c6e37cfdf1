"""Who may do what in a community: a table of role by action, for a public and a private
community, exercised end to end through the JSON API (bearer tokens; anonymous = none)."""

import pytest

from app.extensions import db
from app.services.communities import moderation, threads
from tests.conftest import bearer
from tests.factories import UserFactory, add_member, make_community

ROLES = ["owner", "moderator", "member", "pending", "banned", "non-member", "anonymous"]

# action -> (method, path template, body); {slug}, {open}, {own}, {locked}, {target}, {mod2}, {requester}
ACTIONS = {
    "read threads": ("GET", "/api/communities/{slug}/posts", None),
    "read thread by id": ("GET", "/api/communities/posts/{open}", None),
    "join": ("POST", "/api/communities/{slug}/join", {}),
    "leave": ("POST", "/api/communities/{slug}/leave", {}),
    "post thread": ("POST", "/api/communities/{slug}/posts", {"title": "Hi", "body": "there"}),
    "reply": ("POST", "/api/communities/{slug}/posts/{open}/replies", {"body": "yes"}),
    "reply to locked": ("POST", "/api/communities/{slug}/posts/{locked}/replies", {"body": "yes"}),
    "like": ("POST", "/api/communities/{slug}/posts/{open}/likes", {}),
    "lock": ("POST", "/api/communities/{slug}/posts/{open}/lock", {}),
    "pin": ("POST", "/api/communities/{slug}/posts/{open}/pin", {}),
    "remove thread": ("POST", "/api/communities/{slug}/posts/{open}/remove", {"reason": "off topic"}),
    "delete own thread": ("POST", "/api/communities/{slug}/posts/{own}/remove", {}),
    "approve request": ("POST", "/api/communities/{slug}/members/approve", {"user_id": "{requester}"}),
    "ban member": ("POST", "/api/communities/{slug}/members/ban", {"user_id": "{target}", "reason": "x"}),
    "ban moderator": ("POST", "/api/communities/{slug}/members/ban", {"user_id": "{mod2}"}),
    "ban owner": ("POST", "/api/communities/{slug}/members/ban", {"user_id": "{owner}"}),
    "promote member": ("POST", "/api/communities/{slug}/members/role", {"user_id": "{target}", "role": "moderator"}),
    "promote self": ("POST", "/api/communities/{slug}/members/role", {"user_id": "{self}", "role": "moderator"}),
    "read log": ("GET", "/api/communities/{slug}/log", None),
}

#            owner  mod    member pending banned outsider anon
MODS = [True, True, False, False, False, False, False]
OWNER = [True, False, False, False, False, False, False]
ACTIVE = [True, True, True, False, False, False, False]
NOBODY = [False] * 7

PUBLIC = {
    "read threads": [True, True, True, True, True, True, True],
    "read thread by id": [True, True, True, True, True, True, True],
    "join": [False, False, False, False, False, True, False],
    "leave": [False, True, True, True, False, False, False],
    "post thread": ACTIVE,
    "reply": ACTIVE,
    "reply to locked": MODS,
    "like": ACTIVE,
    "lock": MODS,
    "pin": MODS,
    "remove thread": MODS,
    "delete own thread": ACTIVE,  # those without a thread of their own try someone else's
    "approve request": MODS,
    "ban member": MODS,
    "ban moderator": OWNER,
    "ban owner": NOBODY,
    "promote member": OWNER,
    "promote self": NOBODY,  # the owner "promoting" themself is refused too (owner's role is fixed)
    "read log": MODS,
}
PRIVATE = dict(PUBLIC, **{
    "read threads": ACTIVE,
    "read thread by id": ACTIVE,
})

CASES = [
    pytest.param(visibility, action, role, table[action][i], id=f"{visibility}-{action}-{role}")
    for visibility, table in (("public", PUBLIC), ("private", PRIVATE))
    for action in ACTIONS
    for i, role in enumerate(ROLES)
]


def _scenario(visibility: str, role: str):
    owner = UserFactory()
    community = make_community(owner, visibility=visibility)
    moderator, member, target, mod2, requester = (UserFactory() for _ in range(5))
    add_member(community, moderator, role="moderator")
    add_member(community, mod2, role="moderator")
    add_member(community, member)
    add_member(community, target)
    add_member(community, requester, status="pending")
    open_post = threads.create_post(community, target, title="Open", body="open thread")
    locked_post = threads.create_post(community, target, title="Locked", body="locked thread")
    moderation.set_locked(community, owner, locked_post.id, True)
    db.session.commit()
    actor = {"owner": owner, "moderator": moderator, "member": member}.get(role)
    if role in ("pending", "banned", "non-member"):
        actor = UserFactory()
        if role != "non-member":
            add_member(community, actor, status=role)
    own = open_post
    if role in ("owner", "moderator", "member"):
        own = threads.create_post(community, actor, title="Mine", body="my thread")
        db.session.commit()
    ids = {"slug": community.slug, "open": open_post.id, "own": own.id, "locked": locked_post.id, "target": target.id,
           "mod2": mod2.id, "requester": requester.id, "owner": owner.id,
           "self": actor.id if actor else 0}
    return actor, ids


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids \
            and not isinstance(ids[value[1:-1]], str):
        return ids[value[1:-1]]
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize(("visibility", "action", "role", "allowed"), CASES)
def test_permission(app, client, visibility, action, role, allowed):
    actor, ids = _scenario(visibility, role)
    method, path, body = ACTIONS[action]
    headers = bearer(app, actor) if actor else {}
    kwargs = {"headers": headers}
    if body is not None:
        kwargs["json"] = {k: _fill(v, ids) for k, v in body.items()}
    response = client.open(path.format(**ids), method=method, **kwargs)
    if allowed:
        assert response.status_code in (200, 201, 204), (response.status_code, response.get_json())
    else:
        assert response.status_code in (401, 403, 404, 409), (response.status_code, response.get_json())
        assert "error" in response.get_json()
        if role == "anonymous" and method == "POST":
            assert response.status_code == 401
        if visibility == "private" and role in ("pending", "banned", "non-member", "anonymous") \
                and action.startswith("read thread"):
            assert response.status_code == 404
