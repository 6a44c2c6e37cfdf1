"""Rich text shared by writings and community threads: HTML cleaned with nh3 against an
allow-list, and Markdown (the no-JavaScript textarea) rendered and then cleaned the same way."""

from __future__ import annotations

from html import unescape

import markdown as _markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "u", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str | None) -> str:
    """Only the allowed tags and attributes survive; links get rel="nofollow noopener"."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    ).strip()


def markdown_to_html(text: str | None) -> str:
    """Markdown to sanitized HTML (raw HTML inside the Markdown is cleaned, not trusted)."""
    html = _markdown.markdown(text or "", extensions=["fenced_code", "sane_lists"], output_format="html")
    return sanitize_html(html)


def html_to_text(html: str | None) -> str:
    """The visible text of sanitized HTML (for mentions, previews and length checks)."""
    return unescape(nh3.clean(html or "", tags=set())).strip()
