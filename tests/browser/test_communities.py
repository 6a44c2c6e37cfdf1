"""Communities in real Chromium: the private-community flow with JavaScript, and the
directory and a thread with JavaScript off."""

import re

import pytest

from app.services.communities import threads
from tests.factories import PASSWORD, UserFactory, add_member, make_community

pytestmark = pytest.mark.browser


def _sign_in(page, user):
    page.goto("/signin")
    page.fill("#login", user.username)
    page.fill("#password", PASSWORD)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def test_private_community_request_approve_post_lock(new_browser_page):
    owner, joiner, moderator = UserFactory(), UserFactory(), UserFactory()

    owner_page = new_browser_page()
    _sign_in(owner_page, owner)
    owner_page.goto("/communities/new")
    owner_page.fill("#name", "Night Owls")
    owner_page.fill("#slug", "night-owls")
    owner_page.fill("#description", "Artists who work late.")
    owner_page.check("input[name=visibility][value=private]")
    owner_page.get_by_role("button", name="Create community").click()
    owner_page.wait_for_url("**/communities/night-owls")
    assert owner_page.get_by_role("heading", name="Night Owls").is_visible()

    from app.services.communities.membership import get_community_by_slug

    community = get_community_by_slug("night-owls")
    add_member(community, moderator, role="moderator")

    joiner_page = new_browser_page()
    _sign_in(joiner_page, joiner)
    joiner_page.goto("/communities/night-owls")
    assert "for members only" in joiner_page.content()
    joiner_page.get_by_role("button", name="Ask to join").click()
    joiner_page.get_by_text("Your request to join is waiting").wait_for()

    owner_page.goto("/communities/night-owls/requests")
    owner_page.locator(f"#request-{joiner.id}").get_by_role("button", name="Approve").click()
    owner_page.get_by_text("No requests waiting").wait_for()

    joiner_page.goto("/communities/night-owls")
    joiner_page.get_by_role("link", name="New thread").click()
    joiner_page.fill("#title", "First light")
    joiner_page.fill("#body", "Who else paints at **dawn**?")
    joiner_page.get_by_role("button", name="Post thread").click()
    joiner_page.wait_for_url(re.compile(r".*/communities/night-owls/posts/\d+$"))
    assert joiner_page.locator(".rich-text strong").inner_text() == "dawn"
    thread_url = joiner_page.url

    mod_page = new_browser_page()
    _sign_in(mod_page, moderator)
    mod_page.goto(thread_url)
    mod_page.get_by_role("button", name="Lock thread").click()
    mod_page.get_by_role("button", name="Unlock thread").wait_for()
    assert "Locked" in mod_page.locator(".thread-head").inner_text()

    joiner_page.goto(thread_url)
    assert joiner_page.get_by_text("This thread is locked").is_visible()
    assert joiner_page.locator("#reply-form").count() == 0


def test_directory_and_thread_without_javascript(new_browser_page):
    owner = UserFactory()
    community = make_community(owner, name="Quiet Readers", slug="quiet-readers", description="Books, slowly.")
    make_community(name="Loud Drummers", slug="loud-drummers")
    post = threads.create_post(community, owner, title="What are you reading?", body="Tell us *everything*.")
    threads.create_reply(community, post, owner, body="Starting with poems.")
    from app.extensions import db

    db.session.commit()

    page = new_browser_page(javascript=False)
    page.goto("/communities")
    assert "Loud Drummers" in page.content()
    page.fill("#q", "quiet")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/communities?q=quiet*")
    assert "Loud Drummers" not in page.content()
    page.get_by_role("link", name="Quiet Readers").click()
    page.wait_for_url("**/communities/quiet-readers")
    page.get_by_role("link", name="What are you reading?").click()
    assert page.locator(".rich-text em").inner_text() == "everything"
    assert "Starting with poems." in page.content()

    _sign_in(page, owner)
    page.goto(f"/communities/quiet-readers/posts/{post.id}")
    page.fill("#body", "Mine is a **novel**.")
    page.get_by_role("button", name="Reply", exact=True).click()
    page.wait_for_url(re.compile(r".*#reply-\d+$"))
    assert page.locator(".reply .rich-text strong").last.inner_text() == "novel"
    page.get_by_role("button", name="Lock thread").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Unlock thread").is_visible()
