"""Every page a person reaches, in Chromium with JavaScript on, signed out and signed in (an
admin who is also a creator), at 1280 and 390 px wide: nothing wider than the viewport, no
console error, no Content-Security-Policy violation, and no serious or critical axe-core
violation.

The pages come from walking the URL map over demo data from the app's own seed, so a new page
is checked as soon as it exists; a route whose arguments this walk cannot fill fails
`test_every_page_route_is_walked` until it is given its argument or a reason to be left out."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from flask import current_app

from app.extensions import db
from app.models import Community, CommunityPost, Item, User
from app.models.social import Notification, Post
from app.services.accounts.admins import make_admin
from app.services.chat.conversations import start_direct_conversation
from app.services.items.collections import create_collection
from app.services.payments.purchases import purchase_item
from app.services.seed import seed_all
from app.services.social.follows import follow_user, unfollow_user
from tests.factories import PASSWORD, fund

WIDTHS = {"desktop": 1280, "phone": 390}
SERIOUS = ("serious", "critical")

# Not pages: machine endpoints, downloads and exports, and links that only a mail carries.
LEFT_OUT_PREFIXES = ("/api/", "/static/", "/media/", "/events", "/chat/ws", "/webhook/", "/healthz",
                     "/dev/")
LEFT_OUT = {
    "analytics.export": "a CSV download",
    "payments.export": "a CSV download",
    "items.file": "a signed file download",
    "auth.password_reset_confirm": "reached from a mail's link (tests/browser/test_password_reset_browser.py)",
    "users.confirm_email": "reached from a mail's link (tests/blueprints/users)",
    "payments.topup_success": "Stripe's return address after a payment",
}

# Pages reached only with a query string: what their links carry.
QUERIES = {"reports.new": "?target_type=post&target_id={post_id}"}


def demo_data() -> dict:
    """The seed's demo world, small: users, posts, communities, items of every kind."""
    seed_all(users=6, password=PASSWORD, posts=40, follows_per_user=3, likes=40, comments=20,
             communities=2, threads=2, replies=2, creators=2, items_per_creator=4, views=50)
    demo, _ = make_admin("demo")
    other = db.session.scalar(sa.select(User).where(User.username == "demo5"))
    unfollow_user(other, demo)
    follow_user(other, demo)  # a notification for demo
    collection = create_collection(demo, "Favourites to read", is_public=True)
    db.session.commit()
    conversation, _ = start_direct_conversation(demo.id, other.id)
    # A sale between demo and another user: its refund page, as the buyer or the creator sees it.
    sold = db.session.scalar(sa.select(Item).where(Item.pricing == "one_time").order_by(Item.id))
    buyer = other if sold.creator_id == demo.id else demo
    fund(buyer, credit=sold.price_cents)
    purchase = purchase_item(buyer.id, sold.id).purchase
    community = db.session.scalar(sa.select(Community).where(Community.owner_id == demo.id).order_by(Community.id))
    return {
        "username": other.username,
        "user_id": other.id,
        "post_id": db.session.scalar(sa.select(Post.id).order_by(Post.id)),
        "slug": community.slug,
        "community_post_id": db.session.scalar(sa.select(CommunityPost.id).where(
            CommunityPost.community_id == community.id).order_by(CommunityPost.id)),
        "conversation_id": str(conversation.id),
        "collection_id": collection.id,
        "purchase_id": purchase.id,
        "notification_id": db.session.scalar(sa.select(Notification.id).where(
            Notification.user_id == demo.id).order_by(Notification.id)),
        # The demo user's own items, one of each kind: pages and edit pages of every kind.
        "item_ids": {kind: item_id for kind, item_id in db.session.execute(
            sa.select(Item.kind, sa.func.min(Item.id)).where(Item.creator_id == demo.id).group_by(Item.kind))},
    }


def page_urls(data: dict) -> tuple[list[str], list[str]]:
    """(the URLs of every page, the routes whose arguments the walk cannot fill)."""
    urls, unfilled = [], []
    adapter = current_app.url_map.bind("localhost")
    for rule in current_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(LEFT_OUT_PREFIXES) or rule.endpoint in LEFT_OUT:
            continue
        for values in argument_sets(rule, data):
            if values is None:
                unfilled.append(rule.rule)
                break
            urls.append(adapter.build(rule.endpoint, values) + QUERIES.get(rule.endpoint, "").format(**data))
    return sorted(set(urls)), unfilled


def argument_sets(rule, data: dict) -> list[dict | None]:
    names = set(rule.arguments)
    if not names:
        return [{}]
    if rule.endpoint == "items.read":  # the reading pages: a comic's reader, a writing's page
        return [{"item_id": data["item_ids"][kind]} for kind in ("comic", "writing")]
    if names == {"item_id"}:
        return [{"item_id": item_id} for item_id in data["item_ids"].values()]
    values = {}
    for name in names:
        if name == "post_id" and "slug" in names:
            values[name] = data["community_post_id"]
        elif name == "direction":
            values[name] = "followers"
        elif data.get(name) is not None:
            values[name] = data[name]
        else:
            return [None]
    return [values]


def sign_in(page) -> None:
    page.goto("/signin")
    page.fill("input[name=login]", "demo")
    page.fill("input[name=password]", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*signin).*$"))


def problems_on(page, url: str, axe: Axe, *, visitor: bool, seen: set[str]) -> list[str]:
    """What is wrong with one page, each as a line naming it. Where a page is not a signed-out
    visitor's, it sends them to sign in or does not exist for them (404, as the admin area):
    that sign-in or error page is checked once."""
    console: list[str] = []

    def on_console(msg):
        if msg.type == "error":
            console.append(msg.text)

    page.on("console", on_console)
    try:
        response = page.goto(url)
    finally:
        page.remove_listener("console", on_console)
    status = response.status if response is not None else 0
    landed = page.url.split("?")[0]
    found = []
    if visitor and (landed.endswith("/signin") or status == 404):
        key = "404" if status == 404 else landed
        if key in seen:
            return []
        seen.add(key)
        console = [text for text in console if not text.startswith("Failed to load resource")]
    elif status >= 400 or status == 0:
        found.append(f"{url}: status {status}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        found.append(f"{url}: {overflow} px wider than the viewport")
    found += [f"{url}: console error: {text}" for text in console]
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{url}: axe {violation['impact']} {violation['id']}: {violation['help']} ({targets})")
    return found


@pytest.fixture
def walk(_chromium, live_server):
    def run(*, signed_in: bool, width: int) -> list[str]:
        data = demo_data()
        urls, _ = page_urls(data)
        context = _chromium.new_context(base_url=live_server, viewport={"width": width, "height": 900})
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            if signed_in:
                sign_in(page)
            axe, seen, found = Axe(), set(), []
            for url in urls:
                found += problems_on(page, url, axe, visitor=not signed_in, seen=seen)
            return found
        finally:
            context.close()

    return run


def test_every_page_route_is_walked():
    data = demo_data()
    urls, unfilled = page_urls(data)
    assert unfilled == [], f"routes this walk cannot fill: give them an argument or a reason: {unfilled}"
    for expected in ("/", "/signin", "/market", "/home", "/wallet", "/admin", f"/u/{data['username']}",
                     f"/communities/{data['slug']}", f"/chat/{data['conversation_id']}"):
        assert expected in urls
    assert sum(bool(re.fullmatch(r"/items/\d+", url)) for url in urls) == 4  # one of each kind


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_every_page_fits_the_screen_without_errors_or_serious_accessibility_violations(walk, signed_in, width):
    found = walk(signed_in=signed_in, width=width)
    assert found == [], "\n".join(found)
