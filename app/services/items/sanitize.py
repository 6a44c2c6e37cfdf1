"""Rich text of writings: Markdown or the editor's HTML in, sanitized HTML out (nh3 with
an allow-list), split at the creator's paywall marker into the free preview and the rest."""

from __future__ import annotations

import re

import markdown as markdown_lib
import nh3

PAYWALL_MARKER = "---paywall---"
ALLOWED_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "blockquote", "pre", "code", "ul", "ol", "li", "a", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "li": {"data-list"}, "pre": {"spellcheck"}}
ALLOWED_CLASSES = {
    "p": {"ql-align-center", "ql-align-right", "ql-align-justify", "ql-indent-1", "ql-indent-2"},
    "pre": {"ql-syntax"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# The marker as a paragraph of its own, after sanitizing (Markdown and the editor both make one).
_MARKER_RE = re.compile(r"<p>\s*" + re.escape(PAYWALL_MARKER) + r"\s*</p>")
_EMPTY_P_RE = re.compile(r"<p>(\s|<br>)*</p>")


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
        clean_content_tags={"script", "style", "noscript", "template", "iframe", "svg", "math", "textarea",
                            "xmp", "noembed", "noframes", "object"},
    ).strip()


def markdown_to_html(text: str) -> str:
    return markdown_lib.markdown(text or "", extensions=["fenced_code", "sane_lists"], output_format="html")


def prepare_writing(source: str, fmt: str) -> tuple[str, str, str]:
    """(body_html, preview_html, marked_html), all sanitized, without empty paragraphs (the
    editor makes one per blank line, which read as big gaps): the body without the marker,
    the part above it ("" without one), and the whole text with the marker paragraph kept,
    which is what the editor opens again when the piece is edited."""
    html = markdown_to_html(source) if fmt == "markdown" else source
    clean = drop_empty_paragraphs(sanitize_html(html))
    match = _MARKER_RE.search(clean)
    if match is None:
        return clean, "", clean
    preview = sanitize_html(clean[: match.start()])  # re-sanitized: tags balanced again
    body = sanitize_html(clean[: match.start()] + clean[match.end():])
    return body, preview, clean


def drop_empty_paragraphs(html: str) -> str:
    return _EMPTY_P_RE.sub("", html or "")


def with_marker(body_html: str, preview_html: str) -> str:
    """The text of a writing saved before its marked text was kept: the marker put back
    after the preview, which begins the body (without a preview there was no marker)."""
    if preview_html and body_html.startswith(preview_html):
        return f"{preview_html}<p>{PAYWALL_MARKER}</p>{body_html[len(preview_html):]}"
    return body_html


def is_blank(html: str) -> bool:
    return not _EMPTY_P_RE.sub("", html or "").strip()
