"""Page weight: every page but chat sends at most 20 KB of gzipped JavaScript and 60 KB
gzipped in all (HTML, scripts, styles; user media excluded); the chat pages at most 60 KB
of gzipped JavaScript. Pages are found by walking the URL map, signed in and not."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

from flask import current_app

from tests.conftest import sign_in

JS_BUDGET = 20 * 1024
TOTAL_BUDGET = 60 * 1024
CHAT_JS_BUDGET = 60 * 1024
SKIP_PREFIXES = ("/api/", "/static/", "/media/", "/events", "/chat/ws", "/webhook/", "/healthz", "/files/")


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag == "link" and attrs.get("rel") == "stylesheet" and attrs.get("href"):
            self.styles.append(attrs["href"])


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def static_bytes(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    data = response.get_data()
    response.close()
    return data


def page_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments:
            continue
        if rule.rule.startswith(SKIP_PREFIXES) or rule.rule.endswith((".csv", ".json", ".svg")):
            continue
        urls.append(rule.rule)
    return sorted(set(urls))


def weigh(client, url: str) -> tuple[int, int] | None:
    response = client.get(url)
    if response.status_code != 200 or not response.mimetype == "text/html":
        return None
    html = response.get_data()
    parser = Assets()
    parser.feed(html.decode())
    js = sum(gz(static_bytes(client, src)) for src in parser.scripts)
    css = sum(gz(static_bytes(client, href)) for href in parser.styles)
    return js, gz(html) + js + css


def test_every_page_is_within_its_budget(app, user):
    weighed = {}
    for signed_in in (False, True):
        client = app.test_client()
        if signed_in:
            sign_in(client, user)
        for url in page_urls(current_app):
            result = weigh(client, url)
            if result is None:
                continue
            js, total = result
            weighed[(url, signed_in)] = (js, total)
            if url.startswith("/chat"):
                assert js <= CHAT_JS_BUDGET, f"{url}: {js} B gzipped JS"
            else:
                assert js <= JS_BUDGET, f"{url}: {js} B gzipped JS (signed in: {signed_in})"
                assert total <= TOTAL_BUDGET, f"{url}: {total} B gzipped (signed in: {signed_in})"
    assert ("/", False) in weighed and ("/signup", False) in weighed


def test_pages_read_without_javascript(app):
    """The essential content is in the HTML itself, not fetched by scripts."""
    client = app.test_client()
    body = client.get("/signup").get_data(as_text=True)
    assert re.search(r"<form[^>]+method=\"post\"", body)
    assert 'action="/signup"' in body
