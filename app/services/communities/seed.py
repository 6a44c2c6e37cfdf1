"""Demo communities for `flask seed`: owners, members, a pending request, threads, replies."""

from __future__ import annotations

import random
from collections.abc import Callable

import sqlalchemy as sa

from app.extensions import db
from app.models.community import Community
from app.services.communities import membership, threads
from app.services.communities.directory import create_community

TOPICS = [
    ("Ink and Paper", "Traditional illustration: pens, brushes, paper."),
    ("Small Town Fiction", "Writers of quiet places and big skies."),
    ("Weekly Comics", "Panels, pages and deadlines."),
    ("Sample Pack Swap", "Sound designers trading tips and loops."),
    ("Pixel Garden", "Pixel art, palettes and tiny sprites."),
]
MAX_MEMBERS = 200


def seed_communities(users: list, *, count: int, threads_per: int, replies_per: int,
                     commit: Callable[[], None]) -> dict[str, int]:
    """Up to `count` demo communities (slugs demo-community-N), each with members drawn from
    `users`, `threads_per` threads and up to `replies_per` replies a thread; `commit` (the
    seed's commit that keeps the loaded rows usable) runs after each one. Idempotent:
    communities that exist already are left as they are."""
    if len(users) < 2 or count <= 0:
        return {"communities": 0, "threads": 0}
    rng = random.Random(42)
    made = posts = 0
    for i in range(count):
        slug = f"demo-community-{i + 1}"
        if db.session.scalar(sa.select(Community.id).where(Community.slug == slug)):
            continue
        name, description = TOPICS[i % len(TOPICS)]
        owner = users[i % len(users)]
        community = create_community(owner, name=f"{name} {i + 1}" if i >= len(TOPICS) else name, slug=slug,
                                     description=description, visibility="private" if i % 3 == 2 else "public")
        others = [u for u in users if u.id != owner.id]
        # Up to half the users, and at most MAX_MEMBERS: each join goes through the
        # membership service, one by one.
        most = min(MAX_MEMBERS, max(1, len(others) // 2))
        members = rng.sample(others, k=min(len(others), rng.randint(1, most)))
        for user in members:
            membership.join_community(community, user)
            if community.is_private:
                membership.approve_request(community, owner, user.id)
        if members:
            membership.set_role(community, owner, members[0].id, "moderator")
        outsiders = [u for u in others if u not in members]
        if community.is_private and outsiders:
            membership.join_community(community, outsiders[0])  # one request left waiting
        writers = [owner, *members]
        for n in range(threads_per):
            author = rng.choice(writers)
            post = threads.create_post(community, author, title=f"{name}: thread {n + 1}",
                                       body=f"Hello **{community.name}**! What are you working on this week?")
            for r in range(rng.randint(0, replies_per)):
                threads.create_reply(community, post, rng.choice(writers), body=f"Reply {r + 1}: going well.")
            posts += 1
        made += 1
        commit()  # one community at a time: no transaction left open for minutes
    return {"communities": made, "threads": posts}
