"""Refunds from pages: the refund page of a purchase (its policy, and what the buyer or the
creator may do), the buyer's request, and the creator's answer. The buyer's own refund and
the creator's direct one post to `payments.refund` (routes.py)."""

from flask import flash, url_for
from flask_login import current_user

from app.blueprints.payments.forms import ActionForm, DeclineForm, RefundRequestForm
from app.blueprints.payments.routes import bp
from app.services.errors import ServiceError
from app.services.payments import refund_policy, refunds
from app.services.payments.amounts import dollars
from app.web.auth import login_required
from app.web.context import public_url
from app.web.forms import apply_errors
from app.web.htmx import redirect_to, render
from app.web.work import unit_of_work


def _page(purchase_id: int, *, status: int = 200, request_form=None, decline_form=None):
    line = refunds.refund_page(current_user.id, purchase_id)
    return render("payments/refund.html", "payments/_refund_panel.html", status=status, line=line,
                  policy=refund_policy, action_form=ActionForm(), request_form=request_form or RefundRequestForm(),
                  decline_form=decline_form or DeclineForm())


def _link(purchase_id: int) -> str:
    return public_url("payments.refund_page", purchase_id=purchase_id)


def _back(purchase_id: int, message: str, category: str):
    """To the refund page, which shows the purchase as it is now, with what happened."""
    flash(message, category)
    return redirect_to(url_for("payments.refund_page", purchase_id=purchase_id))


@bp.get("/purchases/<int:purchase_id>/refund")
@unit_of_work
@login_required
def refund_page(purchase_id: int):
    return _page(purchase_id)


def _refused(exc: ServiceError, purchase_id: int, **forms):
    """A refused request or decision: a form's mistake (400) comes back on the page beside
    its field, a state that changed meanwhile (409) back on the refund page as a message."""
    if exc.status == 400:
        apply_errors(next(iter(forms.values())), exc)
        return _page(purchase_id, status=422, **forms)
    if exc.status != 409:
        raise exc
    return _back(purchase_id, exc.message, "error")


@bp.post("/purchases/<int:purchase_id>/refund-request")
@unit_of_work
@login_required
def request_refund(purchase_id: int):
    form = RefundRequestForm()
    if not form.validate_on_submit():
        return _page(purchase_id, status=422, request_form=form)
    try:
        refunds.request_refund(current_user.id, purchase_id, form.reason.data, link=_link(purchase_id))
    except ServiceError as exc:
        return _refused(exc, purchase_id, request_form=form)
    return _back(purchase_id, "Your request is with the creator. You will be told their answer.", "success")


@bp.post("/purchases/<int:purchase_id>/refund-request/<any(accept, decline):decision>")
@unit_of_work
@login_required
def decide_refund(purchase_id: int, decision: str):
    form = DeclineForm()
    if not form.validate_on_submit():
        return _page(purchase_id, status=422, decline_form=form)
    try:
        if decision == "accept":
            purchase = refunds.accept_refund_request(current_user.id, purchase_id, link=_link(purchase_id))
            message = f"Refunded: {dollars(purchase.price_cents)} went back to the buyer, who is told."
        else:
            refunds.decline_refund_request(current_user.id, purchase_id, form.answer.data, link=_link(purchase_id))
            message = "Declined: nothing was refunded, and the buyer is told."
    except ServiceError as exc:
        return _refused(exc, purchase_id, decline_form=form)
    return _back(purchase_id, message, "success")
