from flask import Blueprint, current_app, flash, request, url_for
from flask_login import current_user

from app.blueprints.admin.forms import NoteForm, ReasonForm
from app.services.accounts import suspension
from app.services.admin import audit_log, system
from app.services.analytics.ranges import parse_range
from app.services.errors import Invalid, ServiceError
from app.services.ids import as_id
from app.services.payments import payouts, topups
from app.services.reports import queue
from app.web.auth import admin_required
from app.web.context import current_origin
from app.web.htmx import redirect_to, render
from app.web.work import unit_of_work

# Every admin page is behind `admin_required`: 404 for everyone else, anonymous included.
bp = Blueprint("admin", __name__, url_prefix="/admin")


def _before() -> int | None:
    return as_id(request.args.get("before"))


@bp.get("")
@unit_of_work
@admin_required
def index():
    pending = len(payouts.list_payouts(status="pending", limit=101))
    counts = {"open_reports": queue.count_reports("open"), "suspended": suspension.count_suspended(),
              "pending_payouts": "100+" if pending > 100 else pending}
    return render("admin/index.html", counts=counts)


@bp.get("/users")
@unit_of_work
@admin_required
def users():
    q, status = request.args.get("q", ""), request.args.get("status", "")
    rows = suspension.search_users(q, status=status, before_id=_before())
    return render("admin/users.html", "admin/_users.html", users=rows, q=q, only=status)


@bp.get("/users/<int:user_id>")
@unit_of_work
@admin_required
def user(user_id: int):
    account = suspension.get_user(user_id)
    history = audit_log.search_events(target=("user", account.id), limit=20)
    return render("admin/user.html", "admin/_user.html", account=account, form=ReasonForm(), history=history)


@bp.post("/users/<int:user_id>/<any(suspend, reinstate):action>")
@unit_of_work
@admin_required
def moderate_user(user_id: int, action: str):
    account, form = suspension.get_user(user_id), ReasonForm()
    if not form.validate_on_submit():
        raise Invalid("Give a reason (1 to 500 characters).", code="validation_failed",
                      fields={"reason": "Required."})
    act = suspension.suspend_user if action == "suspend" else suspension.reinstate_user
    act(current_user, account, form.reason.data, origin=current_origin())
    flash(f"@{account.username} is {'suspended' if action == 'suspend' else 'reinstated'}.", "success")
    return redirect_to(url_for("admin.user", user_id=account.id))


@bp.get("/reports")
@unit_of_work
@admin_required
def reports():
    status = request.args.get("status", "open")
    rows = [queue.describe(r) for r in queue.list_reports(status=status, before_id=_before())]
    return render("admin/reports.html", "admin/_reports.html", rows=rows, shown=status,
                  statuses=queue.STATUSES, note_form=NoteForm(), reason_form=ReasonForm())


@bp.post("/reports/<int:report_id>/<any(dismiss, remove, suspend):action>")
@unit_of_work
@admin_required
def resolve_report(report_id: int, action: str):
    origin = current_origin()
    if action == "suspend":
        form = ReasonForm()
        if not form.validate_on_submit():
            raise Invalid("Give a reason for the suspension.", code="validation_failed",
                          fields={"reason": "Required."})
        queue.suspend_reported_author(current_user, report_id, form.reason.data, origin=origin)
    else:
        form = NoteForm()
        if not form.validate_on_submit():
            raise Invalid("The note is at most 500 characters.", code="validation_failed")
        act = queue.dismiss_report if action == "dismiss" else queue.remove_reported_content
        act(current_user, report_id, form.note.data, origin=origin)
    flash(f"Report #{report_id} resolved.", "success")
    return redirect_to(url_for("admin.reports"))


@bp.get("/audit")
@unit_of_work
@admin_required
def audit():
    args = request.args
    try:
        rng = parse_range(args["from"], args.get("to")) if args.get("from") or args.get("to") else None
        error = None
    except ServiceError as exc:
        rng, error = None, exc.message
    events = audit_log.search_events(actor_id=audit_log.actor_id_for(args.get("who")), action=args.get("action"),
                                     rng=rng, before_id=_before())
    names = audit_log.usernames(e.user_id for e in events)
    return render("admin/audit.html", "admin/_audit.html", status=422 if error else 200, events=events,
                  names=names, actions=audit_log.COMMON_ACTIONS, args=args, error=error)


@bp.get("/system")
@unit_of_work
@admin_required
def system_page():
    return render("admin/system.html", report=system.system_report(current_app))


@bp.get("/payments/events")
@unit_of_work
@admin_required
def payment_events():
    return render("admin/payment_events.html", events=topups.unapplied_events())
