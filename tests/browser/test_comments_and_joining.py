"""What a reader clicks, in real Chromium with JavaScript on and off: a comment appears at
once with the box emptied and the counts moved on (a double click sends it once), joining a
community brings its member count and "New thread" without a reload, and the reply box
empties after a reply."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models.social import Comment
from app.services.communities import threads
from tests.factories import PASSWORD, PostFactory, UserFactory, make_community

pytestmark = pytest.mark.browser


def sign_in(page, user) -> None:
    page.goto("/signin")
    page.fill("#login", user.username)
    page.fill("#password", PASSWORD)
    page.locator("#signin-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def mark_the_page(page, javascript: bool) -> None:
    """With JavaScript, a marker that a reload would lose: the change came without one."""
    if javascript:
        page.evaluate("window.stayed = true")


def assert_no_reload(page, javascript: bool) -> None:
    if javascript:
        assert page.evaluate("window.stayed === true")


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_comment_join_and_reply_update_the_page(new_browser_page, javascript):
    author, reader = UserFactory(), UserFactory()
    post = PostFactory(author_id=author.id, body="Look at this sketch")
    community = make_community(author, name="Sketchers", slug=f"sketchers-{int(javascript)}")
    thread = threads.create_post(community, author, title="Warm-ups", body="Share yours.")
    db.session.commit()
    page = new_browser_page(javascript=javascript)
    sign_in(page, reader)

    # A comment: a double click sends one request; the comment shows, the box empties.
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/comments") else None)
    page.goto(f"/posts/{post.id}")
    expect(page.locator("#comments-empty")).to_be_visible()
    mark_the_page(page, javascript)
    page.fill("#comment-form textarea", "Lovely lines")
    button = page.locator("#comment-form button[type=submit]")
    if javascript:
        button.dblclick()
    else:  # without JS, what a double click sends is the browser's affair
        button.click()
    expect(page.locator("#comment-items .comment-body")).to_have_text(["Lovely lines"])
    expect(page.locator("#comment-form textarea")).to_have_value("")
    expect(page.locator("#comments-heading")).to_have_text("Comments (1)")
    expect(page.locator(f"#comment-count-{post.id}")).to_have_text("1 comment")
    expect(page.locator("#comments-empty")).to_be_hidden()
    assert_no_reload(page, javascript)
    if javascript:
        assert len(posted) == 1
    page.fill("#comment-form textarea", "And the colours")
    page.locator("#comment-form button[type=submit]").click()
    expect(page.locator("#comment-items .comment-body")).to_have_text(["And the colours", "Lovely lines"])
    expect(page.locator("#comments-heading")).to_have_text("Comments (2)")
    expect(page.locator(f"#comment-count-{post.id}")).to_have_text("2 comments")
    db.session.expire_all()
    assert db.session.query(Comment).filter_by(post_id=post.id).count() == 2

    # Joining: the count and "New thread" arrive with the membership.
    page.goto(f"/communities/{community.slug}")
    expect(page.locator(f"#member-count-{community.id}")).to_have_text("1 member")
    expect(page.get_by_role("link", name="New thread")).to_have_count(0)
    mark_the_page(page, javascript)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator(f"#member-count-{community.id}")).to_have_text("2 members")
    expect(page.get_by_role("link", name="New thread")).to_be_visible()
    expect(page.get_by_role("button", name="Leave")).to_be_visible()
    assert_no_reload(page, javascript)

    # A reply: it shows, and the box is empty for the next one.
    page.goto(f"/communities/{community.slug}/posts/{thread.id}")
    mark_the_page(page, javascript)
    page.fill("#reply-form textarea", "Mine is a **gesture** study.")
    page.get_by_role("button", name="Reply", exact=True).click()
    expect(page.locator(".reply .rich-text strong")).to_have_text(["gesture"])
    expect(page.locator("#replies h2")).to_have_text("1 reply")
    expect(page.locator("#reply-form textarea")).to_have_value("")
    assert_no_reload(page, javascript)
    if not javascript:
        assert re.search(r"#reply-\d+$", page.url)
