"""Numbers from people, read by one rule (app/services/numbers.py): ASCII digits with an
optional sign, or a real JSON integer, within the field's bounds. Superscript digits pass
`str.isdigit()` and then fail int(); each of these once answered 500. Every bad value is a
400 naming the field (or the page's error message), and nothing is written."""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa
from flask import g

from app.extensions import db
from app.models.ledger import Payout, Purchase, TopUp
from app.services.numbers import parse_int, to_int, whole_number
from app.services.payments.balances import get_balance
from app.services.payments.ledger import read_session
from tests.conftest import bearer, csrf_token, sign_in
from tests.factories import PostFactory, UserFactory, fund, make_item, make_plan

# As typed in a query string or a form field.
BAD_TEXT = ["¹", "²", "1²", "1e20", "-1", "0", "99999999999999999999", "9" * 5000, "1.5", "١٢", "１２",
            "1_0", "0x10", "12abc", "+", "- 1"]
# As sent in a JSON body (raw, so that 1e20 is sent as written).
BAD_JSON = ['"¹"', '"²"', "1e20", '"1e20"', "-1", "99999999999999999999", "100000000000000000000",
            "12.0", "true", '"١٢"', '"12.5"', "[]", "{}", '"9999999999999999999999999999999999999"']

LIMIT_ERROR = {"error": {"code": "validation_failed", "message": "limit must be a whole number from 1 to 100.",
                         "fields": {"limit": "A number from 1 to 100."}}}


def signed_out():
    g.pop("_login_user", None)  # requests share the test's app context, where the user is cached


@pytest.fixture
def world(app):
    owner, reader = UserFactory(), UserFactory()
    post = PostFactory(author_id=owner.id)
    db.session.commit()
    return {"owner": owner, "reader": reader, "post": post, "headers": bearer(app, reader)}


def limit_paths(world) -> dict[str, bool]:
    """Every list that takes ?limit=, and whether it needs a signed-in user."""
    return {
        "/api/items": False,
        "/api/posts/explore": False,
        f"/api/social/comments?post_id={world['post'].id}": False,
        "/api/communities": False,
        "/api/posts/feed": True,
        "/api/notifications": True,
        "/api/favorites": True,
        f"/api/payment/transactions/{world['reader'].id}": True,
        "/api/chat/conversations/000000000000000000000000/messages": True,
    }


@pytest.mark.parametrize("value", BAD_TEXT)
def test_a_bad_limit_is_a_400_naming_limit_on_every_list(client, world, value):
    for path, needs_user in limit_paths(world).items():
        base, _, query = path.partition("?")
        params = {**dict(part.split("=", 1) for part in query.split("&") if part), "limit": value}
        for headers in ([world["headers"]] if needs_user else [{}, world["headers"]]):
            signed_out()
            response = client.get(base, query_string=params, headers=headers)
            assert response.status_code == 400, (path, value, response.status_code)
            assert response.json == LIMIT_ERROR, (path, value)


def test_a_valid_limit_works_as_before(client, world):
    for n in range(3):
        PostFactory(author_id=world["owner"].id)
    db.session.commit()
    page = client.get("/api/posts/explore", query_string={"limit": "2"})
    assert page.status_code == 200 and len(page.json["posts"]) == 2 and page.json["next_cursor"]
    assert len(client.get("/api/posts/explore", query_string={"limit": " 3 "}).json["posts"]) == 3
    assert len(client.get("/api/posts/explore?limit=").json["posts"]) == 4  # blank: the default
    assert client.get("/api/items", query_string={"limit": "100"}).status_code == 200
    too_many = client.get("/api/items", query_string={"limit": "101"})
    assert too_many.status_code == 400 and too_many.json == LIMIT_ERROR


@pytest.mark.parametrize("value", ["¹", "²", "1e20", "-1", "١٢", "9" * 5000])
def test_a_bad_post_id_of_the_comment_list_names_post_id(client, world, value):
    response = client.get("/api/social/comments", query_string={"post_id": value})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "validation_failed"
    assert list(response.json["error"]["fields"]) == ["post_id"]


def test_a_post_id_no_post_can_have_is_not_found(client, world):
    response = client.get("/api/social/comments", query_string={"post_id": "99999999999999999999"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("value", BAD_TEXT)
def test_analytics_days_is_refused_on_the_page_and_the_csv(client, world, value):
    sign_in(client, world["reader"])
    page = client.get("/analytics", query_string={"days": value})
    assert page.status_code == 422
    assert "days is one of 7, 30, 90." in page.get_data(as_text=True)
    export = client.get("/analytics/views.csv", query_string={"days": value})
    assert export.status_code == 400 and "days is one of 7, 30, 90." in export.get_data(as_text=True)


def test_analytics_days_presets_still_work(client, world):
    sign_in(client, world["reader"])
    assert "(90 days, UTC)" in client.get("/analytics?days=90").get_data(as_text=True)
    assert client.get("/analytics?days=7").status_code == 200
    assert "(30 days, UTC)" in client.get("/analytics?days=").get_data(as_text=True)


def _rows(model) -> int:
    with read_session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def _post_raw(client, path: str, field: str, raw: str, headers: dict):
    return client.post(path, data=f'{{"{field}": {raw}}}', content_type="application/json", headers=headers)


@pytest.mark.parametrize("raw", BAD_JSON)
def test_redeem_and_checkout_refuse_a_bad_amount_and_write_nothing(client, world, raw):
    reader = world["reader"]
    fund(reader, credit=5000, earnings=5000)
    before = get_balance(reader.id)
    for path in ("/api/payment/redeem-balance", "/api/payment/create-checkout-session"):
        response = _post_raw(client, path, "amount_cents", raw, world["headers"])
        assert response.status_code == 400, (path, raw, response.status_code)
        assert response.json["error"]["code"] == "invalid_amount"
        assert list(response.json["error"]["fields"]) == ["amount_cents"]
    assert get_balance(reader.id) == before
    assert _rows(Payout) == 0 and _rows(TopUp) == 0


def test_redeem_still_takes_an_amount_as_json_or_digits(client, world):
    fund(world["reader"], earnings=5000)
    for amount in (1000, "1000"):
        response = client.post("/api/payment/redeem-balance", json={"amount_cents": amount}, headers=world["headers"])
        assert response.status_code == 201, response.json
    assert get_balance(world["reader"].id)["earnings_cents"] == 3000


@pytest.mark.parametrize("raw", BAD_JSON)
def test_purchase_api_refuses_a_bad_expected_price_and_buys_nothing(client, world, raw):
    reader, item = world["reader"], make_item(world["owner"], price_cents=1000)
    fund(reader, credit=5000)
    response = _post_raw(client, f"/api/items/{item.id}/purchase", "expected_price_cents", raw, world["headers"])
    assert response.status_code == 400, (raw, response.status_code)
    assert response.json["error"] == {"code": "invalid_amount", "message": "That price is not whole cents.",
                                      "fields": {"expected_price_cents": "Whole cents only."}}
    assert get_balance(reader.id)["credit_cents"] == 5000 and _rows(Purchase) == 0


def test_purchase_api_still_takes_digits_and_answers_a_changed_price(client, world):
    reader, item = world["reader"], make_item(world["owner"], price_cents=1000)
    fund(reader, credit=5000)
    url = f"/api/items/{item.id}/purchase"
    assert client.post(url, json={"expected_price_cents": "12"}, headers=world["headers"]).status_code == 409
    assert client.post(url, json={"expected_price_cents": "1000"}, headers=world["headers"]).status_code == 201
    assert get_balance(reader.id)["credit_cents"] == 4000


@pytest.mark.parametrize("raw", [*BAD_JSON, '"800"'])
def test_subscribe_api_takes_only_a_json_integer_price(client, world, raw):
    reader, owner = world["reader"], world["owner"]
    make_plan(owner, price_cents=800)
    fund(reader, credit=5000)
    response = _post_raw(client, f"/api/creators/{owner.username}/subscribe", "expected_price_cents", raw,
                         world["headers"])
    assert response.status_code == 400, (raw, response.status_code)
    assert response.json["error"]["fields"] == {"expected_price_cents": "Whole cents only."}
    assert get_balance(reader.id)["credit_cents"] == 5000


@pytest.mark.parametrize("value", [v for v in BAD_TEXT if v != "0"])  # 0 cents is a price
def test_the_purchase_and_subscribe_forms_refuse_a_bad_price_with_a_message(client, world, value):
    reader, owner = world["reader"], world["owner"]
    item = make_item(owner, price_cents=1000)
    make_plan(owner, price_cents=800)
    fund(reader, credit=5000)
    sign_in(client, reader)
    token = csrf_token(client, "/wallet")
    for path in (f"/items/{item.id}/purchase", f"/creators/{owner.username}/subscribe"):
        response = client.post(path, data={"csrf_token": token, "expected_price_cents": value})
        assert response.status_code == 303, (path, value, response.status_code)
        assert "That price is not whole cents." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert get_balance(reader.id)["credit_cents"] == 5000 and _rows(Purchase) == 0


def test_a_blank_price_on_the_form_means_none_was_shown(client, world):
    reader, item = world["reader"], make_item(world["owner"], price_cents=1000)
    fund(reader, credit=5000)
    sign_in(client, reader)
    token = csrf_token(client, "/wallet")
    response = client.post(f"/items/{item.id}/purchase", data={"csrf_token": token, "expected_price_cents": "  "})
    assert response.status_code == 303 and get_balance(reader.id)["credit_cents"] == 4000


def test_signed_out_a_bad_price_is_still_a_sign_in_question(client, world):
    item = make_item(world["owner"], price_cents=1000)
    response = _post_raw(client, f"/api/items/{item.id}/purchase", "expected_price_cents", '"²"', {})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized" and _rows(Purchase) == 0


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_other_numbers_from_requests(client, world):
    """Cursors, report targets, member ids and the comic reader's page: refused, never a 500."""
    headers, item = world["headers"], make_item(world["owner"], price_cents=0, pricing="free")
    for cursor in ("¹", "-1", "99999999999999999999"):
        for response in (client.get(f"/api/items/{item.id}/reviews", query_string={"cursor": cursor}),
                         client.get("/api/favorites", query_string={"cursor": cursor}, headers=headers)):
            assert response.status_code == 400 and response.json["error"]["code"] == "invalid_cursor", cursor
    popular = [_cursor(["popular", float("inf"), 1]),
               _cursor(["popular", 10**30, 1]), _cursor(["popular", 1, 10**30]), _cursor(["popular", 1, True])]
    for cursor in popular:
        response = client.get("/api/items", query_string={"sort": "popular", "cursor": cursor})
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid_cursor", cursor
    history = client.get(f"/api/payment/transactions/{world['reader'].id}",
                         query_string={"cursor": _cursor({"id": 10**30})}, headers=headers)
    assert history.status_code == 400 and history.json["error"]["code"] == "invalid_cursor"
    for target in ("¹", "1e20", 1e20, 10**20, True, -1):
        response = client.post("/api/reports", json={"target_type": "post", "target_id": target, "reason": "spam"},
                               headers=headers)
        assert response.status_code == 400 and list(response.json["error"]["fields"]) == ["target_id"], target
    for member in ("²", 10**20, 1.0, True):
        response = client.post("/api/chat/conversations", json={"member_ids": [member]}, headers=headers)
        assert response.status_code == 400 and list(response.json["error"]["fields"]) == ["member_ids"], member
    for ids in ([10**20], [1.0], ["1"]):
        response = client.post("/api/notifications/read", json={"ids": ids}, headers=headers)
        assert response.status_code == 400 and list(response.json["error"]["fields"]) == ["ids"], ids
    for page in ("¹", "١", "99999999999999999999"):
        response = client.get(f"/items/{item.id}/read", query_string={"page": page})
        assert response.status_code == 404 and 'id="error-404"' in response.text, page


@pytest.mark.parametrize("path", ["/posts/{}", "/api/posts/{}", "/items/{}"])
def test_an_id_in_the_path_is_ascii_digits(client, world, path):
    post = world["post"]
    assert client.get(path.format(post.id)).status_code in (200, 404)
    arabic = str(post.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for other in (arabic, "¹"):
        response = client.get(path.format(other))
        assert response.status_code == 404
        if response.is_json:
            assert response.json["error"]["code"] == "not_found"
        else:
            assert 'id="error-404"' in response.text
        assert post.body not in response.text


# The rule itself.
@pytest.mark.parametrize("value, expected", [
    ("12", 12), (" 12 ", 12), ("+12", 12), ("-12", -12), (12, 12), ("007", 7),
    ("¹", None), ("²", None), ("١٢", None), ("１２", None), ("1_000", None), ("1e3", None), ("12.0", None),
    (12.0, None), (1e20, None), (True, None), (False, None), (None, None), ([], None), ("", None),
    ("9" * 31, None), ("9" * 30, int("9" * 30)),
])
def test_whole_number(value, expected):
    assert whole_number(value) == expected


def test_strings_only_when_the_field_takes_them():
    assert whole_number("12", strings=False) is None and whole_number(12, strings=False) == 12


def test_to_int_and_parse_int_bounds():
    assert to_int("5", minimum=1, maximum=5) == 5 and to_int("6", minimum=1, maximum=5) is None
    assert parse_int(None, field="n", minimum=1, maximum=5, default=3) == 3
    assert parse_int("  ", field="n", minimum=1, maximum=5, default=3) == 3
    with pytest.raises(Exception) as caught:
        parse_int("²", field="n", minimum=1, maximum=5)
    assert caught.value.status == 400 and caught.value.fields == {"n": "A whole number from 1 to 5."}
    with pytest.raises(Exception) as caught:
        parse_int(None, field="n", minimum=1, maximum=5)
    assert caught.value.fields == {"n": "Required."}
