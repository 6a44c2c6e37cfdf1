from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user

from app.blueprints.payments.forms import (
    ActionForm,
    HistoryFilterForm,
    PurchaseForm,
    RedeemForm,
    SubscribeForm,
    TopUpForm,
)
from app.services import accounts
from app.services.errors import ServiceError
from app.services.payments import (
    history,
    payouts,
    purchases,
    refund_policy,
    refunds,
    stripe_gateway,
    subscriptions,
    topups,
)
from app.services.payments.amounts import dollars, parse_expected_price
from app.services.payments.balances import get_balance
from app.web.auth import login_required, safe_next
from app.web.forms import apply_errors
from app.web.htmx import redirect_to, render
from app.web.work import unit_of_work

bp = Blueprint("payments", __name__)


def _wallet_context(filters: dict, form=None, **extra) -> dict:
    lines, next_cursor = history.list_history(current_user.id, filters=filters, limit=50,
                                              cursor=request.args.get("cursor"))
    return dict(balance=get_balance(current_user.id), lines=lines, next_cursor=next_cursor,
                filter_form=form or HistoryFilterForm(request.args),
                redeem_form=extra.pop("redeem_form", RedeemForm()), action_form=ActionForm(),
                payouts=payouts.list_payouts(user_id=current_user.id, limit=20),
                bought=purchases.purchase_lines(purchases.list_purchases(buyer_id=current_user.id, limit=20),
                                                as_buyer=True, viewer_id=current_user.id),
                sold=purchases.purchase_lines(purchases.list_purchases(creator_id=current_user.id, limit=20),
                                              as_buyer=False, viewer_id=current_user.id),
                refund_requests=refunds.pending_requests(current_user.id), policy=refund_policy,
                stripe_ready=stripe_gateway.is_configured(), **extra)


def _filters() -> dict:
    return history.parse_filters(request.args.get("kind"), request.args.get("date_from"),
                                 request.args.get("date_to"))


@bp.get("/wallet")
@unit_of_work
@login_required
def show():
    return render("payments/wallet.html", "payments/_history.html", **_wallet_context(_filters()))


@bp.get("/wallet/transactions.csv")
@unit_of_work
@login_required
def export():
    lines, _ = history.list_history(current_user.id, filters=_filters(), limit=None)
    return Response(history.history_csv(lines), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="dreamdot-transactions.csv"'})


@bp.route("/wallet/topup", methods=["GET", "POST"])
@unit_of_work
@login_required
def topup():
    form = TopUpForm()
    if not stripe_gateway.is_configured():
        # Shown, not an error page: the page says why credit cannot be bought and leads back.
        # Only a form posted to it (from a page shown before Stripe was turned off) is a 503.
        status = 503 if request.method == "POST" else 200
        return render("payments/topup.html", "payments/_topup_form.html", status=status, form=form,
                      configured=False)
    if form.validate_on_submit():
        try:
            started = topups.start_topup(
                current_user.id, form.cents,
                success_url=url_for("payments.topup_success", _external=True) + "?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=url_for("payments.topup", _external=True))
        except ServiceError as exc:
            exc.fields = {"amount": exc.fields.get("amount_cents")} if exc.fields else {}
            apply_errors(form, exc)
        else:
            return redirect(started.url, 303)
    status = 422 if form.is_submitted() else 200
    return render("payments/topup.html", "payments/_topup_form.html", status=status, form=form, configured=True)


@bp.get("/wallet/topup/success")
@unit_of_work
@login_required
def topup_success():
    topup = topups.confirm_topup(current_user.id, request.args.get("session_id", "")[:255])
    return render("payments/topup_done.html", topup=topup, balance=get_balance(current_user.id))


@bp.post("/wallet/redeem")
@unit_of_work
@login_required
def redeem():
    form = RedeemForm()
    if form.validate_on_submit():
        try:
            payout = payouts.redeem_earnings(current_user.id, form.cents)
        except ServiceError as exc:
            exc.fields = {"amount": exc.fields.get("amount_cents")} if exc.fields else {}
            apply_errors(form, exc)
        else:
            flash(_payout_message(payout), "success" if payout.status != "failed" else "error")
            return redirect_to(url_for("payments.show"))
    return render("payments/wallet.html", "payments/_redeem_form.html", status=422,
                  **_wallet_context({}, redeem_form=form))


def _payout_message(payout) -> str:
    return {
        "paid": "Your withdrawal was sent to your Stripe account.",
        "pending": "Your withdrawal waits for an operator's approval.",
        "failed": "Stripe refused the transfer; the money is back in your earnings.",
    }.get(payout.status, "Your withdrawal is on its way.")


@bp.post("/wallet/connect")
@unit_of_work
@login_required
def connect():
    if not stripe_gateway.is_configured():
        flash("Payments are not configured on this DreamDot yet.", "error")
        return redirect_to(url_for("payments.show"))
    url = payouts.start_onboarding(current_user, refresh_url=url_for("payments.show", _external=True),
                                   return_url=url_for("payments.show", _external=True))
    return redirect(url, 303)


def _expected_price(form) -> int | None:
    """The price the page showed (a hidden field; blank when it showed none)."""
    return parse_expected_price((form.expected_price_cents.data or "").strip() or None)


@bp.post("/items/<int:item_id>/purchase")
@unit_of_work
@login_required
def purchase(item_id: int):
    form = PurchaseForm()
    back = _back_to(url_for("items.show", item_id=item_id))
    if form.validate_on_submit():
        try:
            purchases.purchase_item(current_user.id, item_id, _expected_price(form))
        except ServiceError as exc:
            if exc.status == 404:
                raise
            flash(exc.message, "error")
        else:
            flash("Bought. It is yours now.", "success")
    return redirect_to(back)


@bp.post("/creators/<username>/subscribe")
@unit_of_work
@login_required
def subscribe(username: str):
    creator = accounts.get_user_by_username(username)
    form = SubscribeForm()
    if form.validate_on_submit():
        try:
            _, charged = subscriptions.subscribe(current_user.id, creator, expected_price_cents=_expected_price(form))
            flash("Subscribed." if charged else "You are subscribed.", "success")
        except ServiceError as exc:
            if exc.status == 404:
                raise
            flash(exc.message, "error")
    return redirect_to(_back_to(url_for("items.shop", username=creator.username)))


def _back_to(default: str) -> str:
    """Where a buy or subscribe button returns: the page it was on (an item, its reading
    page), named by the form's `next`, when that is a page of this site."""
    return safe_next(request.form.get("next")) or default


@bp.post("/creators/<username>/unsubscribe")
@unit_of_work
@login_required
def unsubscribe(username: str):
    creator = accounts.get_user_by_username(username)
    if ActionForm().validate_on_submit():
        sub = subscriptions.unsubscribe(current_user.id, creator)
        flash(f"Cancelled. You keep access until {sub.current_period_end:%Y-%m-%d}.", "success")
    return redirect_to(url_for("items.shop", username=creator.username))


@bp.post("/purchases/<int:purchase_id>/refund")
@unit_of_work
@login_required
def refund(purchase_id: int):
    if ActionForm().validate_on_submit():
        try:
            purchase = purchases.refund_purchase(current_user.id, purchase_id, actor_is_admin=current_user.is_admin)
            flash(f"Refunded {dollars(purchase.price_cents)}.", "success")
        except ServiceError as exc:
            if exc.status == 404:
                raise
            flash(exc.message, "error")
    return redirect_to(url_for("payments.show"))
