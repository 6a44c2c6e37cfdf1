"""Bidirectional controls are removed from every one-line name (docs/decisions.md, Hostile
input): `"\u202etxt.exe"` would otherwise read as "exe.txt" to everyone who sees it."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.documents.items import ItemContent
from app.extensions import db
from app.models import User
from app.models.community import Community
from app.models.items import Item
from app.services.names import BIDI_CONTROLS, one_line_name
from tests.conftest import bearer, csrf_token
from tests.factories import UserFactory

RLO = "\u202e"
CONTROLS = sorted(BIDI_CONTROLS)


def has_bidi(text: str) -> bool:
    return any(c in BIDI_CONTROLS for c in text)


def stored_user(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_every_bidi_control_is_removed(control):
    assert one_line_name(f"  Ann{control}a {control} Lee ") == "Anna Lee"


def test_the_listed_controls_are_the_whole_set():
    expected = {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c"}
    assert BIDI_CONTROLS == expected


def test_names_people_write_in_other_scripts_are_kept():
    assert one_line_name("محمد  علي") == "محمد علي"
    assert one_line_name("👩\u200d💻 Zoë") == "👩\u200d💻 Zoë"  # a zero-width joiner is not a bidi control


def test_display_name_on_the_settings_page(auth_client):
    token = csrf_token(auth_client, "/settings/profile")
    response = auth_client.post("/settings/profile", data={"display_name": f"Bob{RLO}gpj.exe", "bio": "",
                                                           "csrf_token": token})
    assert response.status_code == 303
    page = auth_client.get(f"/u/{auth_client.user.username}").get_data(as_text=True)
    assert "Bobgpj.exe" in page and not has_bidi(page)
    assert stored_user(auth_client.user).display_name == "Bobgpj.exe"


def test_display_name_through_the_api(app, client, user):
    response = client.patch("/api/users/me", json={"display_name": f"\u2067Eve\u2069{RLO}fdp.scr"},
                            headers=bearer(app, user))
    assert response.status_code == 200 and response.get_json()["user"]["display_name"] == "Evefdp.scr"
    assert stored_user(user).display_name == "Evefdp.scr"
    shown = client.get(f"/api/users/{user.username}").get_json()["user"]["display_name"]
    assert shown == "Evefdp.scr"


def test_display_name_at_sign_up(client):
    response = client.post("/api/auth/signup", json={"username": "zed", "email": "zed@example.com",
                                                     "password": "a long password 1", "display_name": f"Zed{RLO}"})
    assert response.status_code == 201 and response.get_json()["user"]["display_name"] == "Zed"
    assert db.session.scalar(sa.select(User.display_name).where(User.username == "zed")) == "Zed"


def test_community_name(app, client):
    owner = UserFactory()
    headers = bearer(app, owner)
    response = client.post("/api/communities", json={"name": f"Ink{RLO} Club", "slug": "ink-club"}, headers=headers)
    assert response.status_code == 201 and response.get_json()["community"]["name"] == "Ink Club"
    assert db.session.scalar(sa.select(Community.name)) == "Ink Club"
    page = client.get("/communities/ink-club").get_data(as_text=True)
    assert "Ink Club" in page and not has_bidi(page)


def test_a_community_name_of_controls_is_too_short_and_nothing_is_stored(app, client):
    response = client.post("/api/communities", json={"name": f"{RLO}\u202d\u202cab", "slug": "short-one"},
                           headers=bearer(app, UserFactory()))
    assert response.status_code == 400 and "name" in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Community)) == 0


def test_a_downloads_file_name(app, client):
    creator = UserFactory()
    headers = bearer(app, creator)
    response = client.post("/api/items/create", headers=headers, content_type="multipart/form-data",
                           data={"kind": "download", "title": f"Pack{RLO}", "pricing": "free",
                                 "files": [(io.BytesIO(b"MZ not really"), f"invoice{RLO}fdp.exe")]})
    assert response.status_code == 201 and response.get_json()["item"]["title"] == "Pack"
    item_id = response.get_json()["item"]["id"]
    files = client.get(f"/api/items/{item_id}", headers=headers).get_json()["content"]["files"]
    assert [f["name"] for f in files] == ["invoicefdp.exe"]
    assert [f.name for f in ItemContent.objects.get(item_id=item_id).files] == ["invoicefdp.exe"]
    assert db.session.get(Item, item_id).title == "Pack"
    with client.get(files[0]["url"], headers=headers) as download:
        assert download.status_code == 200 and download.data == b"MZ not really"
    disposition = download.headers["Content-Disposition"]
    assert "filename*=UTF-8''invoicefdp.exe" in disposition and "%E2%80%AE" not in disposition
