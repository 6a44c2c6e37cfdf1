"""Post cards of the feeds, rendered cheaply.

A card has a part that is the same for every viewer (the author line, the body, the images)
and a footer that is not (the like form with the viewer's liked state and CSRF token, the
counts, the page to return to, the delete form on one's own posts).

The shared part is rendered once by the `post_card_head` macro and kept in a per-worker LRU
on the app, keyed by post id and validated by everything it is rendered from (body, content
warning, images, time, the author's username, name and avatar): an edited post or a renamed
author no longer matches and is rendered again on the next view, and a deleted post is
never looked up because the feed query no longer returns it. Nothing per viewer or per
request is ever inside a cached part. The footer is assembled per request in Python
(a loop of 20 Jinja macro calls with their `url_for`s was most of the page's render time).
"""

from __future__ import annotations

from collections import OrderedDict

from flask import current_app, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from app.services.social.policies import is_post_author
from app.services.social.text import render_text
from app.web.security import csrf_token

CACHE_SIZE = 5000
_EXTENSION = "dreamdot.post_cards"


class CardCache:
    """Post id -> (version, head HTML, post path); least recently used out first."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self.entries: OrderedDict[int, tuple] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, post_id: int, version: tuple):
        found = self.entries.get(post_id)
        if found is None or found[0] != version:
            self.misses += 1
            return None
        self.hits += 1
        try:
            self.entries.move_to_end(post_id)
        except KeyError:  # evicted meanwhile by another thread
            pass
        return found

    def put(self, post_id: int, value: tuple) -> None:
        self.entries[post_id] = value
        self.entries.move_to_end(post_id)
        while len(self.entries) > self.size:
            try:
                self.entries.popitem(last=False)
            except KeyError:
                break

    def clear(self) -> None:
        self.entries.clear()


def card_cache(app=None) -> CardCache:
    app = app or current_app
    cache = app.extensions.get(_EXTENSION)
    if cache is None:
        cache = app.extensions[_EXTENSION] = CardCache()
    return cache


def _version(post, author) -> tuple:
    """Everything the shared part is rendered from."""
    return (post.body, post.content_warning, post.images, post.created_at,
            author.username, author.name, author.avatar_key)


def _head(entry) -> tuple[Markup, str]:
    """The cached shared part of a card and its post's path, escaped for an attribute."""
    post, author = entry.post, entry.author
    version = _version(post, author)
    cache = card_cache()
    found = cache.get(post.id, version)
    if found is not None:
        return found[1], found[2]
    post_path = url_for("posts.show", post_id=post.id)
    macro = current_app.jinja_env.get_template("posts/_macros.html").module.post_card_head
    head = Markup(macro(entry, post_path, render_text(post.body)))  # noqa: S704 - a template's output
    path = str(escape(post_path))
    cache.put(post.id, (version, head, path))
    return head, path


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def like_button(post_id: int, liked: bool, like_count: int, back: str, post_path: str, *,
                signed_in: bool | None = None, csrf: str | None = None) -> Markup:
    """The like form of a post (the feed cards and the HTMX like response)."""
    if signed_in is None:
        signed_in = current_user.is_authenticated
    return Markup(_like_form(  # noqa: S704 - every value is escaped or ours
        int(post_id), liked, int(like_count), str(escape(back)), str(escape(post_path)), signed_in,
        str(escape(csrf or csrf_token()))))


def _like_form(post_id: int, liked: bool, like_count: int, back: str, path: str, signed_in: bool, csrf: str) -> str:
    """The like form's HTML from values already escaped (`back`, `path`, `csrf`) or ints."""
    action = path + ("/unlike" if liked else "/like")
    button = ""
    if signed_in:
        button = (f'    <button type="submit" class="like-button{" liked" if liked else ""}" '
                  f'aria-pressed="{"true" if liked else "false"}">{"Liked" if liked else "Like"}</button>\n')
    return (
        f'<form id="like-{post_id}" class="inline like-form" method="post" action="{action}"\n'
        f'      hx-post="{action}" hx-target="this" hx-swap="outerHTML">\n'
        f'  <input type="hidden" name="csrf_token" value="{csrf}">\n'
        f'  <input type="hidden" name="next" value="{back}">\n'
        f'{button}'
        f'  <span class="like-count">{_plural(like_count, "like")}</span>\n'
        f'</form>\n'
    )


def post_card(entry, back: str) -> Markup:
    """One card: the cached shared part and this viewer's footer."""
    return post_cards([entry], back)


def post_cards(entries, back: str) -> Markup:
    """The cards of a feed page. What is the same on every card (the viewer, the CSRF token,
    the page to return to) is computed and escaped once; each card is its cached shared
    part and a footer of plain string formatting."""
    if not entries:
        return Markup("")
    viewer = current_user
    signed_in = viewer.is_authenticated
    viewer_id = viewer.id if signed_in else None
    csrf = str(escape(csrf_token()))
    back = str(escape(back))
    parts = []
    for entry in entries:
        post = entry.post
        head, path = _head(entry)
        parts.append(head)
        parts.append("    ")
        parts.append(_like_form(int(post.id), entry.liked, int(post.like_count), back, path, signed_in, csrf))
        parts.append(f'\n    <a href="{path}#comments">{_plural(int(post.comment_count), "comment")}</a>\n')
        if is_post_author(viewer_id, post):
            parts.append(
                f'      <form method="post" action="{path}/delete" class="inline">\n'
                f'        <input type="hidden" name="csrf_token" value="{csrf}">\n'
                '        <button type="submit" class="link danger-link">Delete post</button>\n'
                '        <span class="hint">(removes it, its comments and likes for good)</span>\n'
                '      </form>\n'
            )
        parts.append("  </footer>\n</article>\n")
    return Markup("".join(parts))  # noqa: S704 - cached template output and escaped values
