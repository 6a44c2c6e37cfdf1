"""The redirect-after-sign-in predicate, as a table of allow and deny."""

import pytest

from app.web.auth import safe_next

ALLOW = [
    ("/", "/"),
    ("/u/alice", "/u/alice"),
    ("/settings/profile?tab=1", "/settings/profile?tab=1"),
    ("/search?", "/search"),
]

DENY = [None, "", "//evil.com", "///evil.com", "https://evil.com", "http:/evil.com", "/\\evil.com",
        "\\\\evil.com", "evil.com", "javascript:alert(1)", "/\r\nLocation: https://evil.com",
        "/\tevil", "//evil.com/%2f..", "mailto:a@b.c"]


@pytest.mark.parametrize("target, expected", ALLOW)
def test_local_paths_are_allowed(target, expected):
    assert safe_next(target) == expected


@pytest.mark.parametrize("target", DENY)
def test_anything_leaving_the_site_is_refused(target):
    assert safe_next(target) is None
