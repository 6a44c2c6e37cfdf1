"""The home page's side column: people to follow and the member's communities (the wallet's
balance is the navigation's, read once per request)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models import User
from app.models.community import Community
from app.services.communities.highlights import member_communities
from app.services.social.suggestions import suggest_people


@dataclass
class HomeSide:
    people: list[User] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)


def home_side(user) -> HomeSide:
    return HomeSide(people=suggest_people(user, limit=5), communities=member_communities(user.id, limit=5))
