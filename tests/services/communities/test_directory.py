"""Creating communities and the directory."""

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.community import Community, Membership
from app.services.communities.directory import create_community, list_communities, update_community
from app.services.errors import Conflict, Invalid, NotAllowed
from app.services.media import storage
from tests.factories import UserFactory, add_member, make_community, make_image


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("slug", ["ab", "a" * 41, "Has Space", "under_score", "-lead", "trail-", "dé-jà",
                                  "double--hyphen", "new", "admin", "api"])
def test_malformed_or_reserved_slug_is_refused(slug):
    with pytest.raises(Invalid) as exc:
        create_community(UserFactory(), name="Fine name", slug=slug)
    assert "slug" in exc.value.fields
    assert _count(Community) == 0 and _count(Membership) == 0


def test_taken_slug_is_a_conflict_and_writes_nothing():
    make_community(slug="makers")
    with pytest.raises(Conflict) as exc:
        create_community(UserFactory(), name="Other", slug="Makers")
    assert exc.value.code == "slug_taken" and "slug" in exc.value.fields
    assert _count(Community) == 1 and _count(Membership) == 1


def test_bad_name_visibility_and_image_write_nothing():
    with pytest.raises(Invalid) as exc:
        create_community(UserFactory(), name="x", slug="fine-slug", visibility="secret")
    assert set(exc.value.fields) == {"name", "visibility"}
    with pytest.raises(Invalid) as exc:
        create_community(UserFactory(), name="Good", slug="fine-slug", icon=io.BytesIO(b"not an image"))
    assert "icon" in exc.value.fields
    assert _count(Community) == 0


def test_icon_and_banner_are_processed_and_stored():
    community = create_community(UserFactory(), name="Art", slug="art", icon=io.BytesIO(make_image()),
                                 banner=io.BytesIO(make_image(size=(900, 300))))
    assert community.icon_key.endswith(".webp") and community.banner_key.endswith(".webp")
    assert storage().read(community.icon_key)[:4] == b"RIFF"


def test_only_owner_updates():
    owner = UserFactory()
    community = make_community(owner)
    member = add_member(community)
    with pytest.raises(NotAllowed):
        update_community(community, db.session.get(type(owner), member.user_id), name="Hijacked")
    update_community(community, owner, name="Renamed", description="New words")
    assert community.name == "Renamed"


def test_directory_search_sort_and_keyset_pages():
    small = make_community(name="Tiny Pottery", slug="pottery")
    big = make_community(name="Big Painting", slug="painting", description="oils and pots")
    for _ in range(3):
        add_member(big)
    rows, _ = list_communities(q="pot", sort="size")
    assert [c.slug for c in rows] == ["painting", "pottery"]
    rows, _ = list_communities(sort="active")
    assert rows[0].slug == "painting"  # made last, so latest activity
    make_community(slug="third")
    first, cursor = list_communities(sort="size", limit=2)
    second, end = list_communities(sort="size", limit=2, cursor=cursor)
    assert [c.slug for c in first + second] == ["painting", "third", "pottery"] or \
        [c.slug for c in first + second] == ["painting", "pottery", "third"]
    assert len({c.id for c in first + second}) == 3 and end is None
    assert small.id in {c.id for c in first + second}


def test_search_escapes_wildcards_and_bad_cursor_is_invalid():
    make_community(name="Plain", slug="plain")
    assert list_communities(q="%")[0] == []
    with pytest.raises(Invalid):
        list_communities(cursor="garbage!!")
