"""Demo page views for `flask seed`: daily rollups over the last 30 days of existing posts and items."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Item
from app.models.social import DailyStat, Post
from app.services.analytics.views import today


def seed_views(total: int, *, days: int = 30, seed: int = 8) -> dict[str, int]:
    """Add about `total` views to the newest 200 posts and items (once: skipped when views exist)."""
    if total <= 0 or db.session.scalar(sa.select(sa.func.count()).select_from(DailyStat)):
        return {"views": 0}
    targets = [("post", pid, owner) for pid, owner in db.session.execute(
        sa.select(Post.id, Post.author_id).order_by(Post.id.desc()).limit(200))]
    targets += [("item", iid, owner) for iid, owner in db.session.execute(
        sa.select(Item.id, Item.creator_id).where(Item.deleted_at.is_(None)).order_by(Item.id.desc()).limit(200))]
    if not targets:
        return {"views": 0}
    rng, counts, first = random.Random(seed), {}, today() - timedelta(days=days - 1)
    for _ in range(total):
        kind, tid, owner = rng.choice(targets)
        key = (kind, tid, owner, first + timedelta(days=rng.randrange(days)))
        counts[key] = counts.get(key, 0) + 1
    db.session.execute(sa.insert(DailyStat), [
        {"target_type": k, "target_id": t, "owner_id": o, "day": d, "views": n} for (k, t, o, d), n in counts.items()])
    return {"views": total}
