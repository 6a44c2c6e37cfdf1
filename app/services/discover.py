"""The signed-out front page: what DreamDot's creators make, as Gumroad's Discover shows it.
Popular and new items, the creators who published last, the largest communities."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models import User
from app.models.community import Community
from app.models.items import Item
from app.services.accounts import users_by_id
from app.services.communities.highlights import largest_communities
from app.services.items.highlights import recent_creator_ids
from app.services.items.search import search_items

SHELF = 8


@dataclass
class FrontPage:
    popular: list[Item] = field(default_factory=list)
    recent: list[Item] = field(default_factory=list)
    creators: list[User] = field(default_factory=list)
    people: dict[int, User] = field(default_factory=dict)  # every shown item's creator, by id
    communities: list[Community] = field(default_factory=list)


def front_page(viewer=None) -> FrontPage:
    popular = search_items(viewer, sort="popular", limit=SHELF).items
    shown = {item.id for item in popular}
    # New items not already on the popular shelf (one more page's worth is read to fill it).
    recent = [item for item in search_items(viewer, sort="new", limit=SHELF * 2).items if item.id not in shown][:SHELF]
    creator_ids = recent_creator_ids(limit=6)
    people = users_by_id({item.creator_id for item in popular + recent} | set(creator_ids))
    return FrontPage(popular=popular, recent=recent, people=people,
                     creators=[people[i] for i in creator_ids if i in people],
                     communities=largest_communities(limit=6))
