"""Keys of the fragment cache (Flask-Caching's `{% cache %}` tag, `app.extensions.fragments`):
a digest of everything a fragment is drawn from, so a changed post or a renamed author is
another key and the old entry is simply never read again."""

from __future__ import annotations

import hashlib


def version_of(*values) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


def post_head_version(post, author) -> str:
    """What a post card's shared part (author line, body, images) is drawn from."""
    return version_of(post.id, post.body, post.content_warning, post.images, post.created_at,
                      author.username, author.name, author.avatar_key)
