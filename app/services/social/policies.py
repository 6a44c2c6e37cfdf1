"""Pure predicates: who may see and do what in the social domain. `blocked` is the set of
user ids the viewer blocked or was blocked by (`blocked_user_ids`)."""

from __future__ import annotations


def _id(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    return user.id


def can_view_post(viewer, post, blocked: set[int] | frozenset = frozenset()) -> bool:
    return post is not None and post.author_id not in blocked


def can_delete_post(user, post) -> bool:
    return is_post_author(_id(user), post)


def is_post_author(user_id: int | None, post) -> bool:
    """`can_delete_post` for a viewer id already known (None: signed out)."""
    return user_id is not None and post.author_id == user_id


def can_delete_comment(user, comment, post) -> bool:
    uid = _id(user)
    return uid is not None and uid in (comment.author_id, post.author_id)


def can_interact(actor_id: int | None, other_id: int, blocked: set[int] | frozenset) -> bool:
    """Follow, like, comment: signed in, and no block either way."""
    return actor_id is not None and other_id not in blocked
