from flask import Blueprint, Response, jsonify, request, url_for
from flask_login import current_user

from app.extensions import db
from app.models import User
from app.services import accounts
from app.services.errors import NotFound
from app.services.pagination import clean_limit
from app.services.payments import history, payouts, purchases, refunds, subscriptions, topups
from app.services.payments.amounts import parse_expected_price
from app.services.payments.balances import get_balance
from app.web.auth import login_required
from app.web.context import public_url
from app.web.forms import json_body
from app.web.limits import write_limit
from app.web.work import unit_of_work

api_bp = Blueprint("payments_api", __name__, url_prefix="/api")


@api_bp.post("/items/<int:item_id>/purchase")
@unit_of_work
@login_required
@write_limit
def purchase(item_id: int):
    expected = parse_expected_price(json_body().get("expected_price_cents"))
    result = purchases.purchase_item(current_user.id, item_id, expected)
    return jsonify(purchase=purchases.serialize_purchase(result.purchase), balance=result.balance), 201


@api_bp.post("/creators/<username>/subscribe")
@unit_of_work
@login_required
@write_limit
def subscribe(username: str):
    creator = accounts.get_user_by_username(username)
    expected = json_body().get("expected_price_cents") if request.content_length else None
    expected = parse_expected_price(expected, strings=False)
    sub, charged = subscriptions.subscribe(current_user.id, creator, expected_price_cents=expected)
    return jsonify(subscription=subscriptions.serialize_subscription(sub),
                   balance=get_balance(current_user.id)), 201 if charged else 200


@api_bp.delete("/creators/<username>/subscribe")
@unit_of_work
@login_required
@write_limit
def unsubscribe(username: str):
    creator = accounts.get_user_by_username(username)
    sub = subscriptions.unsubscribe(current_user.id, creator)
    return jsonify(subscription=subscriptions.serialize_subscription(sub))


@api_bp.post("/payment/create-checkout-session")
@unit_of_work
@login_required
@write_limit
def create_checkout_session():
    started = topups.start_topup(
        current_user.id, json_body().get("amount_cents"),
        success_url=url_for("payments.topup_success", _external=True) + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=url_for("payments.topup", _external=True))
    return jsonify(session_id=started.session_id, url=started.url), 201


@api_bp.post("/payment/redeem-balance")
@unit_of_work
@login_required
@write_limit
def redeem_balance():
    payout = payouts.redeem_earnings(current_user.id, json_body().get("amount_cents"))
    return jsonify(payout=payouts.serialize_payout(payout), balance=get_balance(current_user.id)), 201


@api_bp.post("/payment/connect-onboarding")
@unit_of_work
@login_required
@write_limit
def connect_onboarding():
    url = payouts.start_onboarding(current_user, refresh_url=url_for("payments.show", _external=True),
                                   return_url=url_for("payments.show", _external=True))
    return jsonify(url=url), 201


@api_bp.post("/payment/purchases/<int:purchase_id>/refund")
@unit_of_work
@login_required
@write_limit
def refund(purchase_id: int):
    purchase = purchases.refund_purchase(current_user.id, purchase_id, actor_is_admin=current_user.is_admin)
    return jsonify(purchase=purchases.serialize_purchase(purchase), balance=get_balance(current_user.id))


@api_bp.post("/payment/purchases/<int:purchase_id>/refund-request")
@unit_of_work
@login_required
@write_limit
def request_refund(purchase_id: int):
    """The buyer asks the creator, once the policy closed their own refund."""
    asked = refunds.request_refund(current_user.id, purchase_id, json_body().get("reason"),
                                   link=public_url("payments.refund_page", purchase_id=purchase_id))
    return jsonify(refund_request=refunds.serialize_request(asked)), 201


@api_bp.post("/payment/purchases/<int:purchase_id>/refund-request/<any(accept, decline):decision>")
@unit_of_work
@login_required
@write_limit
def decide_refund(purchase_id: int, decision: str):
    link = public_url("payments.refund_page", purchase_id=purchase_id)
    if decision == "accept":
        purchase = refunds.accept_refund_request(current_user.id, purchase_id, link=link)
        return jsonify(purchase=purchases.serialize_purchase(purchase),
                       refund_request=refunds.serialize_request(refunds.request_of(purchase_id)))
    answer = json_body().get("answer") if request.content_length else None
    declined = refunds.decline_refund_request(current_user.id, purchase_id, answer, link=link)
    return jsonify(refund_request=refunds.serialize_request(declined))


@api_bp.get("/payment/transactions/<int:user_id>")
@unit_of_work
@login_required
def transactions(user_id: int):
    if db.session.get(User, user_id) is None:
        raise NotFound("There is no such user.")
    history.check_can_view(current_user, user_id)
    filters = history.parse_filters(request.args.get("kind"), request.args.get("from"), request.args.get("to"))
    if request.args.get("format") == "csv":
        lines, _ = history.list_history(user_id, filters=filters, limit=None)
        return Response(history.history_csv(lines), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="transactions.csv"'})
    lines, next_cursor = history.list_history(user_id, filters=filters, limit=clean_limit(request.args.get("limit")),
                                              cursor=request.args.get("cursor"))
    return jsonify(transactions=[line.as_dict() for line in lines], next_cursor=next_cursor)
