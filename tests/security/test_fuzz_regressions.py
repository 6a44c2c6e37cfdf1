"""Inputs the fuzzers found that once answered 500, kept as plain tests."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.blueprints.payments.forms import to_cents
from app.extensions import db
from app.models.ledger import Payout
from app.services.payments.balances import get_balance
from tests.conftest import csrf_token
from tests.factories import fund


@pytest.mark.parametrize("text", ["1" + "0" * 26, "9" * 40, "1e30", "0.001", "-1", "NaN", "Infinity", "", None])
def test_amounts_past_decimal_precision_are_refused_not_raised(text):
    assert to_cents(text) is None


def test_the_redeem_form_with_a_huge_amount_is_a_422(auth_client):
    fund(auth_client.user, earnings=5000)
    before = get_balance(auth_client.user.id)
    token = csrf_token(auth_client, "/wallet")
    response = auth_client.post("/wallet/redeem", data={"amount": "1" + "0" * 26, "csrf_token": token})
    assert response.status_code == 422
    assert "An amount in dollars, like 25 or 25.50." in response.get_data(as_text=True)
    assert get_balance(auth_client.user.id) == before
    assert db.session.scalar(sa.select(sa.func.count(Payout.id))) == 0


def test_an_id_past_bigint_is_not_found(client):
    reviews = client.get("/api/items/3975963797257123291725824/reviews")
    assert reviews.status_code == 404 and reviews.get_json()["error"]["code"] == "item_not_found"
    deleted = client.delete("/api/posts/362313303526064324608")
    assert deleted.status_code == 404 and deleted.get_json()["error"]["code"] == "not_found"
    page = client.get("/posts/99999999999999999999999")
    assert page.status_code == 404 and 'id="error-404"' in page.get_data(as_text=True)
