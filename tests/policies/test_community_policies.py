"""The pure community policies as tables of allow and deny."""

import pytest

from app.models.community import Community, CommunityPost, Membership
from app.services.communities import policies as p

ROLES = {
    "owner": Membership(user_id=1, role="owner", status="active"),
    "moderator": Membership(user_id=2, role="moderator", status="active"),
    "member": Membership(user_id=3, role="member", status="active"),
    "pending": Membership(user_id=4, role="member", status="pending"),
    "banned": Membership(user_id=5, role="member", status="banned"),
    "non-member": None,
}
PUBLIC, PRIVATE = Community(visibility="public"), Community(visibility="private")
OPEN, LOCKED = CommunityPost(locked=False, author_id=3), CommunityPost(locked=True, author_id=3)

#                        owner  mod    member pending banned none
TABLE = {
    "view public":       ([1, 1, 1, 1, 1, 1], lambda m: p.can_view_content(PUBLIC, m)),
    "view private":      ([1, 1, 1, 0, 0, 0], lambda m: p.can_view_content(PRIVATE, m)),
    "join":              ([0, 0, 0, 0, 0, 1], lambda m: p.can_join(PUBLIC, m)),
    "leave":             ([0, 1, 1, 1, 0, 0], p.can_leave),
    "post":              ([1, 1, 1, 0, 0, 0], lambda m: p.can_post(PRIVATE, m)),
    "reply open":        ([1, 1, 1, 0, 0, 0], lambda m: p.can_reply(PUBLIC, m, OPEN)),
    "reply locked":      ([1, 1, 0, 0, 0, 0], lambda m: p.can_reply(PUBLIC, m, LOCKED)),
    "like":              ([1, 1, 1, 0, 0, 0], lambda m: p.can_like(PUBLIC, m)),
    "moderate":          ([1, 1, 0, 0, 0, 0], p.can_moderate),
    "manage roles":      ([1, 0, 0, 0, 0, 0], p.can_manage_roles),
    "edit community":    ([1, 0, 0, 0, 0, 0], p.can_edit_community),
    "ban a member":      ([1, 1, 0, 0, 0, 0], lambda m: p.can_act_on(m, Membership(user_id=9, role="member", status="active"))),
    "ban a moderator":   ([1, 0, 0, 0, 0, 0], lambda m: p.can_act_on(m, Membership(user_id=9, role="moderator", status="active"))),
    "ban the owner":     ([0, 0, 0, 0, 0, 0], lambda m: p.can_act_on(m, Membership(user_id=9, role="owner", status="active"))),
    "ban themself":      ([0, 0, 0, 0, 0, 0], lambda m: p.can_act_on(m, m)),
}


@pytest.mark.parametrize(("action", "role"), [(a, r) for a in TABLE for r in ROLES], ids=lambda v: v)
def test_policy(action, role):
    expected, predicate = TABLE[action]
    assert predicate(ROLES[role]) is bool(expected[list(ROLES).index(role)])
