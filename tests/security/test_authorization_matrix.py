"""Issue 9, point 4: every route of app.url_map (pages and API, every method, every choice
of an `<any(...)>` part), its path filled with the owner's real objects, walked as anonymous,
another user, a user the owner blocked, the owner and an admin.

- never a 5xx (but the documented 503 of payments without Stripe keys);
- anonymous: a 2xx only on the PUBLIC reads below; never on anything that needs sign-in;
- another user and the blocked user: a state-changing request is accepted only where the
  tables below say it acts on their own account or is a social act open to them; never a
  2xx on the owner's private reads; the blocked user never sees what the block hides;
- an explicit table for the important objects (post, comment, item, community thread,
  wallet and transactions, notifications, admin), as every identity.
"""

from __future__ import annotations

import pytest

from tests.security.walker import STREAMING, Identity, routes, walk_order
from tests.security.world import build_world

NOT_CONFIGURED = 503  # payments without Stripe keys say so plainly (the brief)

PUBLIC_READS = {
    "main.index", "main.healthz", "static", "media.public", "docs.openapi", "auth.signin", "auth.signup",
    "posts.explore", "posts.show", "posts.profile_posts", "users.show", "social.follow_list",
    "items.market", "items.show", "items.shop", "items.read", "communities.index", "communities.show",
    "users_api.show", "posts_api.show", "posts_api.explore", "social_api.list_comments",
    "items_api.index", "items_api.show", "items_api.reviews",
    "communities_api.index", "communities_api.show",
    # Password reset: the request form, its "check your mail" answer, and the form a mailed
    # link opens (without a live token it answers 400).
    "auth.password_reset", "auth.password_reset_sent", "auth.password_reset_confirm",
    # The developers' mailbox: registered only with DEV_MAILBOX (the tests' local SMTP server;
    # never in production), and answered only to this machine, which the test client is.
    "devmail.index", "devmail.show",
}
PUBLIC_WRITES = {"auth.signin", "auth.signup", "auth_api.signin", "auth_api.signup", "payments.stripe_webhook",
                 # Asking for a reset link, and using one: the mailed token is the credential.
                 "auth.password_reset", "auth.password_reset_confirm", "auth_api.password_reset",
                 "auth_api.password_reset_confirm"}

# Writes on the acting user's own account or state: any signed-in user, blocked or not.
SELF_SERVICE = {
    "auth.signup", "auth.signout", "auth_api.signout", "users.edit", "users_api.update_me",
    "users.edit_password", "users.edit_email", "users.confirm_email", "notifications.mark_all_read", "notifications_api.mark_read",
    "social.unblock", "social.unmute", "social.block", "social.mute", "items.plan_settings",
    "payments.connect", "payments.topup", "payments.redeem",
    # A join is the user's own membership (a pending request for a private community).
    "communities.join", "communities.leave", "communities_api.join", "communities_api.leave",
    # Chat: one's own keys, backup, blobs, safety marks, conversations to start, and the
    # single-use ticket that opens one's own websocket.
    "chat.create", "chat.verify", "chat.open_community", "chat_api.put_key", "chat_api.put_key_backup",
    "chat_api.create_conversation", "chat_api.upload_media", "chat_api.issue_ticket",
    # A report is the reporter's own act (it reaches the staff queue, changes nothing else).
    "reports.new", "reports_api.create",
}
# Social acts on the owner's public things: open to another user, refused across a block.
SOCIAL = {
    "posts.like", "posts.unlike", "posts.comment", "social.follow", "social.unfollow",
    "items.favorite", "items_api.favorite", "items.review", "items_api.review",
    "payments.purchase", "payments_api.purchase", "payments.subscribe", "payments.unsubscribe",
    "payments_api.subscribe", "payments_api.unsubscribe",
}
# Reads of the owner's private objects or of places only the owner (or staff) may see.
OWNER_PRIVATE_READS = {
    "items.edit", "items.collection", "notifications.show", "communities.edit", "communities.log",
    "communities.members", "communities.requests", "communities.show_post", "communities.new_post",
    "payments_api.transactions", "communities_api.log", "communities_api.members",
    "communities_api.requests", "communities_api.posts", "communities_api.show_post",
    "communities_api.replies", "communities_api.show_post_by_id", "payments.admin_payouts",
    # The owner's 1-on-1 conversation with the fan, and the owner's encrypted blob.
    "chat.show", "chat_api.show_conversation", "chat_api.list_epoch_keys", "chat_api.list_messages",
    "chat_api.show_media",
    # The staff area does not exist for anybody else (404).
    "admin.index", "admin.audit", "admin.reports", "admin.system_page", "admin.users", "admin.user",
    "admin.payment_events",
}
# What a block hides from the blocked user (api.md: neither sees the other's profile, posts...).
BLOCK_HIDDEN_READS = {
    "users.show", "users_api.show", "posts.show", "posts_api.show", "posts.profile_posts",
    "social.follow_list", "items.show", "items_api.show", "items.shop", "items_api.reviews",
}


def accepted(response) -> bool:
    """2xx, or a redirect anywhere but to the sign-in page (a page's way to ask for it)."""
    if 300 <= response.status_code < 400:
        return not response.headers.get("Location", "").startswith("/signin")
    return 200 <= response.status_code < 300


def walk(app, who: str):
    world = build_world()
    identity = Identity(who, app, None if who == "anonymous" else getattr(world, who))
    for route in sorted(routes(app, world), key=walk_order):
        if route.endpoint in STREAMING and who != "anonymous":
            continue
        response = identity.request(route)
        if "signout" in route.endpoint:
            identity.refresh()
        yield route, response


@pytest.mark.parametrize("who", ["anonymous", "other", "blocked", "owner", "admin"])
def test_no_route_answers_a_server_error(app, who):
    errors = [f"{r.status_code} {route}" for route, r in walk(app, who)
              if r.status_code >= 500 and r.status_code != NOT_CONFIGURED]
    assert not errors, "\n".join(errors)


def test_anonymous_gets_nothing_that_needs_sign_in(app):
    wrong = []
    for route, response in walk(app, "anonymous"):
        allowed = PUBLIC_WRITES if route.writes else PUBLIC_READS
        if 200 <= response.status_code < 300 and route.endpoint not in allowed:
            wrong.append(f"{response.status_code} {route}")
        if route.writes and route.endpoint not in allowed and accepted(response):
            wrong.append(f"{response.status_code} {route} (a write accepted)")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", ["other", "blocked"])
def test_others_never_touch_the_owners_objects(app, who):
    writes = SELF_SERVICE | (SOCIAL if who == "other" else set())
    hidden = OWNER_PRIVATE_READS | (BLOCK_HIDDEN_READS if who == "blocked" else set())
    wrong = []
    for route, response in walk(app, who):
        if route.writes and route.endpoint not in writes | PUBLIC_WRITES and accepted(response):
            wrong.append(f"{response.status_code} {route} (a write accepted)")
        if not route.writes and route.endpoint in hidden and 200 <= response.status_code < 300:
            wrong.append(f"{response.status_code} {route} (a private read)")
    assert not wrong, "\n".join(wrong)


# The important objects, as every identity: the statuses each may get.
DENIED = {401, 403, 404}
SIGNIN = {302, 401}  # a page sends anonymous visitors to sign in; the API answers 401
TABLE = [
    # method, path, anonymous, other, blocked, owner, admin
    ("GET", "/api/posts/{post_id}", {200}, {200}, {404}, {200}, {200}),
    ("DELETE", "/api/posts/{post_id}", {401}, {403, 404}, {403, 404}, {204}, {403, 404}),
    ("POST", "/posts/{post_id}/delete", {302}, {403, 404}, {403, 404}, {303}, {403, 404}),
    ("POST", "/comments/{comment_id}/delete", {302}, {403, 404}, {403, 404}, {303}, {403, 404}),
    ("GET", "/api/items/{item_id}", {200}, {200}, {404}, {200}, {200}),
    ("PUT", "/api/items/{item_id}", {401}, {403, 404}, {403, 404}, {200, 400}, {403, 404}),
    ("DELETE", "/api/items/{item_id}", {401}, {403, 404}, {403, 404}, {204}, {403, 404}),
    ("POST", "/items/{item_id}/delete", {302}, {403, 404}, {403, 404}, {303}, {403, 404}),
    ("GET", "/communities/{slug}/posts/{thread}", {302, 404}, {403, 404}, {403, 404}, {200}, {403, 404}),
    ("GET", "/api/communities/{slug}/posts/{thread}", DENIED, DENIED, DENIED, {200}, DENIED),
    ("POST", "/api/communities/{slug}/posts/{thread}/lock", {401}, DENIED, DENIED, {200}, DENIED),
    ("GET", "/api/payment/transactions/{owner}", {401}, {403, 404}, {403, 404}, {200}, {200}),
    ("GET", "/wallet", SIGNIN, {200}, {200}, {200}, {200}),  # each sees their own wallet
    ("GET", "/notifications/{notification_id}", SIGNIN, {403, 404}, {403, 404}, {303}, {403, 404}),
    ("GET", "/api/notifications", {401}, {200}, {200}, {200}, {200}),
    ("GET", "/admin/payouts", {404}, {404}, {404}, {404}, {200}),
    ("GET", "/admin/users/{owner}", {404}, {404}, {404}, {404}, {200}),
    ("GET", "/admin/payments/events", {404}, {404}, {404}, {404}, {200}),
    ("POST", "/admin/users/{owner}/suspend", {400, 404}, {404}, {404}, {404}, {400}),  # a reason is required
    ("POST", "/admin/reports/{report_id}/dismiss", {400, 404}, {404}, {404}, {404}, {303}),
    ("GET", "/api/analytics/summary", {401}, {200}, {200}, {200}, {200}),  # each their own figures
    ("POST", "/admin/payouts/{payout_id}/approve", {400, 404}, {404}, {404}, {404}, {303}),
    ("GET", "/collections/{collection_id}", {404}, {404}, {404}, {200}, {404}),
    ("GET", "/api/chat/conversations/{conversation_id}/messages", {401}, DENIED, DENIED, {200}, DENIED),
    ("GET", "/api/chat/conversations/{conversation_id}", {401}, DENIED, DENIED, {200}, DENIED),
    ("PUT", "/api/chat/conversations/{conversation_id}/keys", {401}, DENIED | {400}, DENIED | {400},
     {400}, DENIED | {400}),
    ("GET", "/chat/{conversation_id}", {302}, DENIED, DENIED, {200}, DENIED),
    ("GET", "/api/chat/media/{blob_id}", {401}, DENIED, DENIED, {200}, DENIED),
]
IDENTITIES = ["anonymous", "other", "blocked", "owner", "admin"]




@pytest.mark.parametrize("row", TABLE, ids=[f"{r[0]} {r[1]}" for r in TABLE])
@pytest.mark.parametrize("who", IDENTITIES)
def important_state(world) -> dict:
    """What the table's writes would change: read afresh from the stores."""
    from app.documents.chat import KeyEnvelope
    from app.extensions import db
    from app.models import CommunityPost, Item, User
    from app.models.ledger import Payout
    from app.models.social import Comment, Post, Report

    ids = world.ids
    db.session.expire_all()
    item, thread = db.session.get(Item, ids["item_id"]), db.session.get(CommunityPost, ids["thread"])
    owner = db.session.get(User, world.owner.id)
    return {
        "post": db.session.get(Post, ids["post_id"]) is not None,
        "comment": db.session.get(Comment, ids["comment_id"]) is not None,
        "item": (item.status, item.deleted_at, item.title, item.price_cents),
        "thread": (thread.locked, thread.removed_at),
        "owner": (owner.suspended_at, owner.suspended_reason),
        "report": db.session.get(Report, ids["report_id"]).status,
        "payout": db.session.get(Payout, ids["payout_id"]).status,
        "epoch keys": KeyEnvelope.objects(conversation_id=ids["conversation_id"]).count(),
    }


def refused(response) -> bool:
    return response.status_code in (401, 403, 404) or (
        response.status_code == 302 and response.headers["Location"].startswith("/signin"))


@pytest.mark.parametrize("row", TABLE, ids=[f"{r[0]} {r[1]}" for r in TABLE])
@pytest.mark.parametrize("who", IDENTITIES)
def test_important_objects(app, row, who):
    from tests.security.walker import Route

    method, template, *expected = row
    world = build_world()
    values = {**world.ids, "owner": world.owner.id}
    path = template.format(**values)
    identity = Identity(who, app, None if who == "anonymous" else getattr(world, who))
    before = important_state(world)
    route = Route("table", template, method, path)
    response = identity.request(route)
    allowed = expected[IDENTITIES.index(who)]
    assert response.status_code in allowed, f"{who}: {method} {path} -> {response.status_code}, expected {allowed}"
    if refused(response):
        # A refusal says so in the shape the client reads, and changes nothing.
        if response.status_code == 302:
            assert response.headers["Location"] == f"/signin?next={path}"
        elif route.is_api:
            assert set(response.get_json()["error"]) == {"code", "message"}
        else:
            assert f'id="error-{response.status_code}"' in response.get_data(as_text=True)
        assert important_state(world) == before, f"{who}: {method} {path} was refused but changed something"
