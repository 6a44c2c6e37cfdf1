from flask import flash, request, url_for
from flask_login import current_user

from app.blueprints.payments.forms import ActionForm, RejectForm
from app.blueprints.payments.routes import bp
from app.services.accounts import users_by_id
from app.services.audit import record_event
from app.services.payments import payouts
from app.web.auth import admin_required
from app.web.context import current_origin
from app.web.htmx import redirect_to, render
from app.web.work import unit_of_work

STATUSES = ("pending", "sending", "paid", "failed", "rejected")


@bp.get("/admin/payouts")
@unit_of_work
@admin_required
def admin_payouts():
    status = request.args.get("status", "pending")
    status = status if status in STATUSES else "pending"
    rows = payouts.list_payouts(status=status, limit=100)
    return render("payments/admin_payouts.html", "payments/_admin_payouts.html", payouts=rows, current_status=status,
                  people=users_by_id({p.user_id for p in rows}), statuses=STATUSES, action_form=ActionForm(),
                  reject_form=RejectForm())


@bp.post("/admin/payouts/<int:payout_id>/approve")
@unit_of_work
@admin_required
def approve_payout(payout_id: int):
    if ActionForm().validate_on_submit():
        payouts.approve_payout(current_user, payout_id, origin=current_origin())
        flash(f"Payout #{payout_id} marked paid.", "success")
    return redirect_to(url_for("payments.admin_payouts"))


@bp.post("/admin/payouts/<int:payout_id>/reject")
@unit_of_work
@admin_required
def reject_payout(payout_id: int):
    form = RejectForm()
    if form.validate_on_submit():
        payouts.reject_payout(current_user, payout_id, reason=form.reason.data or "", origin=current_origin())
        flash(f"Payout #{payout_id} rejected; the money is back in the creator's earnings.", "success")
    return redirect_to(url_for("payments.admin_payouts"))


@bp.post("/admin/payouts/<int:payout_id>/send")
@unit_of_work
@admin_required
def send_payout(payout_id: int):
    """Send again a payout left `sending` (a crash between the debit and Stripe's answer)."""
    if ActionForm().validate_on_submit():
        payout = payouts.send_payout(payout_id)
        record_event("payout_resent", user_id=current_user.id, origin=current_origin(), target_type="payout",
                      target_id=payout_id, status=payout.status)
        flash(f"Payout #{payout_id} is now {payout.status}.", "success")
    return redirect_to(url_for("payments.admin_payouts", status="sending"))
