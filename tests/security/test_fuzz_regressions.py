"""Inputs the fuzzers found that once answered 500, kept as plain tests."""

from __future__ import annotations

import pytest

from app.blueprints.payments.forms import to_cents
from tests.conftest import csrf_token


@pytest.mark.parametrize("text", ["1" + "0" * 26, "9" * 40, "1e30", "0.001", "-1", "NaN", "Infinity", "", None])
def test_amounts_past_decimal_precision_are_refused_not_raised(text):
    assert to_cents(text) is None


def test_the_redeem_form_with_a_huge_amount_is_a_422(auth_client):
    token = csrf_token(auth_client, "/wallet")
    response = auth_client.post("/wallet/redeem", data={"amount": "1" + "0" * 26, "csrf_token": token})
    assert response.status_code == 422


def test_an_id_past_bigint_is_not_found(client):
    assert client.get("/api/items/3975963797257123291725824/reviews").status_code == 404
    assert client.delete("/api/posts/362313303526064324608").status_code == 404
    assert client.get("/posts/99999999999999999999999").status_code == 404
