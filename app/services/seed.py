"""Demo data for `flask seed`, sized by options so benchmarks can ask for large data.
Each capability adds its part here."""

from __future__ import annotations

import sqlalchemy as sa

from app.documents.chat import Conversation
from app.documents.items import ItemContent
from app.extensions import db
from app.models import Item, User
from app.services.accounts.passwords import hash_password
from app.services.accounts.registration import user_created
from app.services.analytics.seed import seed_views
from app.services.communities.seed import seed_communities
from app.services.items.seeding import seed_items
from app.services.payments.seeding import seed_payments
from app.services.social.seed import seed_social

DEMO_BIOS = [
    "Illustrator. Coffee, ink and long walks.",
    "I write short fiction about small towns and big skies.",
    "Comics most weeks. Commissions open.",
    "Sound designer sharing sample packs.",
    "",
]


def stored_data() -> str:
    """What the stores already hold, said for a person ("" when they are empty): demo data
    goes into empty databases only, so it never mixes with, or charges, real accounts."""
    counts = {
        "users": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        "items": db.session.scalar(sa.select(sa.func.count()).select_from(Item)),
        "item contents": ItemContent.objects.count(),
        "conversations": Conversation.objects.count(),
    }
    return ", ".join(f"{count} {name}" for name, count in counts.items() if count)


def seed_users(count: int, password: str) -> list[User]:
    """Users demo1..demoN (and `demo`), created when missing; one hash for all of them."""
    names = ["demo"] + [f"demo{i}" for i in range(1, count)]
    existing = set(db.session.scalars(sa.select(User.username).where(User.username.in_(names))))
    password_hash = hash_password(password)
    new = [
        User(
            username=name,
            email=f"{name}@example.com",
            email_key=f"{name}@example.com",
            password_hash=password_hash,
            display_name=name.replace("demo", "Demo ").strip().title(),
            bio=DEMO_BIOS[i % len(DEMO_BIOS)],
        )
        for i, name in enumerate(names)
        if name not in existing
    ]
    db.session.add_all(new)
    db.session.flush()
    for user in new:
        user_created.send(user)
    return list(db.session.scalars(sa.select(User).where(User.username.in_(names)).order_by(User.id)))


def seed_all(*, users: int, password: str, posts: int = 200, follows_per_user: int = 10,
             likes: int = 500, comments: int = 200, communities: int = 5, threads: int = 5,
             replies: int = 3, creators: int = 4, items_per_creator: int = 4,
             views: int = 2000) -> dict[str, int]:
    # Each domain commits its part: at full size a domain takes minutes, and a transaction
    # left open on another bind meanwhile would be ended by the server's
    # idle_in_transaction_session_timeout (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS).
    seeded = seed_users(max(users, 1), password)
    commit_keeping_rows()
    report = {"users": len(seeded)}
    report.update(seed_social(seeded, posts=posts, follows_per_user=follows_per_user, likes=likes,
                              comments=comments))
    commit_keeping_rows()
    report.update(seed_communities(seeded, count=communities, threads_per=threads, replies_per=replies,
                                   commit=commit_keeping_rows))
    commit_keeping_rows()
    report["items"] = seed_items(seeded[: max(creators, 0)], max(items_per_creator, 0))
    commit_keeping_rows()
    report.update(seed_views(views))
    return report


def commit_keeping_rows() -> None:
    """Commit, keeping the loaded rows usable (the next domain reads the seeded users)."""
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def seed_demo(*, purchases: int = 20, **sizes) -> dict[str, int]:
    """Seed every domain and commit; money runs last, in its own transactions."""
    report = seed_all(**sizes)
    db.session.commit()
    report.update(seed_payments(purchases=purchases))
    return report
