"""Chat in real Chromium: two users in two browser contexts, then a third context that
restores a key backup and reads the history."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from bson import json_util
from playwright.sync_api import expect

from app.services.stores import mongo_db
from tests.factories import PASSWORD, UserFactory, make_image

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


def sign_in(page, user) -> None:
    page.goto("/signin")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*signin).*$"))


def open_chat(page) -> None:
    page.goto("/chat")
    expect(page.locator("#chat-key-status")).to_have_text(re.compile("set up"))


def test_two_users_chat_with_typing_ticks_a_captioned_image_and_a_restored_backup(new_browser_page, tmp_path):
    alice, bob = UserFactory(), UserFactory()
    a, b = new_browser_page(), new_browser_page()
    for page, user in ((a, alice), (b, bob)):
        sign_in(page, user)
        open_chat(page)

    a.fill("#chat-new-username", bob.username)
    a.click(".chat-new button[type=submit]")
    a.wait_for_url(re.compile(r"/chat/[0-9a-f]{24}$"))
    conversation_url = a.url
    expect(a.locator("#chat-status")).to_have_text("Connected.")
    b.goto(conversation_url)
    expect(b.locator("#chat-status")).to_have_text("Connected.")

    a.locator("#chat-input").press_sequentially("hello bob", delay=20)
    expect(b.locator("#chat-typing")).to_have_text(re.compile("is typing"))
    a.locator("#chat-input").press("Enter")  # Enter sends
    expect(b.locator("#chat-messages li.theirs .chat-body")).to_have_text(["hello bob"])
    expect(a.locator("#chat-messages li.mine .chat-ticks")).to_have_text(["✓✓ read"])
    expect(a.locator("#chat-input")).to_have_value("")

    b.fill("#chat-input", "hi alice")
    b.locator("#chat-input").press("Shift+Enter")  # a new line, not a message
    b.locator("#chat-input").press_sequentially("two lines")
    b.locator("#chat-input").press("Enter")
    expect(a.locator("#chat-messages li.theirs .chat-body")).to_have_text(["hi alice\ntwo lines"])
    assert a.locator("#chat-messages li.theirs .chat-body").text_content() == "hi alice\ntwo lines"
    expect(b.locator("#chat-messages li.mine .chat-ticks")).to_have_text(["✓✓ read"])

    picture = tmp_path / "photo.png"
    picture.write_bytes(make_image("PNG", (40, 30)))
    a.set_input_files("#chat-file", str(picture))
    a.fill("#chat-input", "our cat")
    a.click("#chat-send")  # the picture and its words: one message
    image = b.locator("#chat-messages li.theirs img")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    b.wait_for_function("() => document.querySelector('#chat-messages li.theirs img').naturalWidth === 40")
    expect(b.locator("#chat-messages li.theirs")).to_have_count(2)
    expect(b.locator("#chat-messages li.theirs").last.locator(".chat-caption")).to_have_text("our cat")
    expect(a.locator("#chat-input")).to_have_value("")
    stored = [json_util.dumps(document) for name in mongo_db().list_collection_names()
              for document in mongo_db()[name].find()]
    assert stored and not [d for d in stored if "our cat" in d or "two lines" in d]  # ciphertext only

    a.goto("/chat/keys")
    a.fill("#backup-passphrase", "a long passphrase for the test")
    a.fill("#backup-confirm", "a long passphrase for the test")
    a.click("#chat-backup-form button[type=submit]")
    expect(a.locator("#backup-result")).to_have_text(re.compile("Backup saved"), timeout=30_000)

    c = new_browser_page()
    sign_in(c, alice)
    c.goto(conversation_url)  # a new browser: the conversation leads to the restore screen
    c.get_by_role("link", name="Restore your key to read this conversation").click()
    c.wait_for_url(re.compile(r"/chat/keys\?next=.*#chat-restore-form$"))
    expect(c.locator("#chat-key-status")).to_have_text(re.compile("does not hold your chat key"))
    c.fill("#restore-passphrase", "a long passphrase for the test")
    c.click("#chat-restore-form button[type=submit]")
    expect(c.locator("#restore-result")).to_have_text(re.compile("restored"), timeout=30_000)
    c.get_by_role("link", name="Back to the conversation").click()
    c.wait_for_url(conversation_url)
    expect(c.locator("#chat-messages li.mine .chat-body").first).to_have_text("hello bob")
    expect(c.locator("#chat-messages li.theirs .chat-body")).to_have_text(["hi alice\ntwo lines"])
    expect(c.locator("#chat-messages li.mine img")).to_have_attribute("src", re.compile(r"^blob:"))
    expect(c.locator("#chat-messages li.mine .chat-caption")).to_have_text("our cat")


def test_the_safety_number_matches_in_both_browsers(new_browser_page):
    alice, bob = UserFactory(), UserFactory()
    a, b = new_browser_page(), new_browser_page()
    for page, user in ((a, alice), (b, bob)):
        sign_in(page, user)
        open_chat(page)
    a.goto(f"/chat/safety/{bob.id}")
    expect(a.locator("#safety-check")).to_have_text(re.compile("computed the same number"))
    b.goto(f"/chat/safety/{alice.id}")
    expect(b.locator("#safety-check")).to_have_text(re.compile("computed the same number"))
    assert a.locator("#safety-number").inner_text() == b.locator("#safety-number").inner_text()
    a.click("text=Mark as verified")
    expect(a.locator(".chat-ok")).to_contain_text("verified")


def test_without_javascript_the_page_says_chat_needs_it(new_browser_page):
    user = UserFactory()
    page = new_browser_page(javascript=False)
    sign_in(page, user)
    page.goto("/chat")
    expect(page.locator(".chat-noscript")).to_contain_text("Chat needs JavaScript")


def test_chat_javascript_stays_under_60_kb_gzipped():
    files = [STATIC / "vendor" / "tweetnacl-1.0.3.min.js", *sorted((STATIC / "js" / "chat").glob("*.js"))]
    total = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    assert total < 60 * 1024, total


def test_a_community_chat_keys_itself_and_a_newcomer_waits_for_keys(new_browser_page):
    from tests.factories.communities import add_member, make_community

    alice, dave = UserFactory(), UserFactory()
    community = make_community(alice)
    a = new_browser_page()
    sign_in(a, alice)
    open_chat(a)
    a.click(f"form[action='/chat/community/{community.slug}'] button")
    a.wait_for_url(re.compile(r"/chat/[0-9a-f]{24}$"))
    conversation_url = a.url
    expect(a.locator("#chat-composer")).to_be_visible()  # her browser made the epoch key
    a.fill("#chat-input", "hello community")
    a.click("#chat-send")
    expect(a.locator("#chat-messages li.mine .chat-ticks")).to_have_text(["✓"])
    a.goto("/chat")  # her conversation page (and its websocket) closes; the key stays

    d = new_browser_page()
    sign_in(d, dave)
    open_chat(d)
    add_member(community, dave)
    d.goto(conversation_url)
    expect(d.locator("#chat-waiting")).to_be_visible()
    expect(d.locator("#chat-composer")).to_be_hidden()
    expect(d.locator("#chat-messages li .chat-undecryptable")).to_have_count(1)

    a.goto(conversation_url)  # a member's browser comes online and hands Dave the key
    expect(d.locator("#chat-waiting")).to_be_hidden()
    expect(d.locator("#chat-messages li.theirs .chat-body")).to_have_text(["hello community"])
    d.fill("#chat-input", "thanks")
    d.click("#chat-send")
    expect(a.locator("#chat-messages li.theirs .chat-body")).to_have_text(["thanks"])
