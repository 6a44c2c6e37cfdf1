"""Post and comment text: stored as typed, shown escaped with links and @mentions linked."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

MENTION_RE = re.compile(r"(?<![\w@/])@([a-z0-9_]{3,30})\b", re.IGNORECASE)
# Run on escaped text: quotes are already entities, so an href can never be broken out of.
URL_RE = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
TOKEN_RE = re.compile(f"{URL_RE.pattern}|{MENTION_RE.pattern}", re.IGNORECASE)
TRAILING = ".,;:!?)]}"


def find_mentions(body: str) -> list[str]:
    """Lower-cased usernames mentioned in `body`, each once, in order, at most 10."""
    seen: list[str] = []
    for name in MENTION_RE.findall(body or ""):
        name = name.lower()
        if name not in seen:
            seen.append(name)
    return seen[:10]


def _link(match: re.Match) -> str:
    text = match.group(0)
    if text.startswith("@"):
        name = match.group(1).lower()
        return f'<a class="mention" href="/u/{name}">{text}</a>'
    tail = ""
    while text and text[-1] in TRAILING:
        text, tail = text[:-1], text[-1] + tail
    if text.endswith("&amp"):  # an ampersand cut off by the trailing-punctuation rule
        text, tail = text[:-4], "&amp" + tail
    return f'<a href="{text}" rel="nofollow noopener ugc" target="_blank">{text}</a>{tail}'


def render_text(body: str) -> Markup:
    """Escaped text with http(s) links and @mentions turned into links; newlines kept."""
    escaped = str(escape(body or ""))
    linked = TOKEN_RE.sub(_link, escaped)
    return Markup(linked.replace("\n", "<br>\n"))  # noqa: S704 - built from escaped text
