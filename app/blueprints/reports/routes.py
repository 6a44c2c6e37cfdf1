from flask import Blueprint, flash, request
from flask_login import current_user

from app.blueprints.reports.forms import ReportForm
from app.services.errors import ServiceError
from app.services.reports import queue
from app.services.reports.targets import load_target, parse_target
from app.web.auth import login_required
from app.web.forms import apply_errors
from app.web.htmx import redirect_to, render
from app.web.limits import write_limit
from app.web.work import unit_of_work

bp = Blueprint("reports", __name__)


@bp.route("/reports/new", methods=["GET", "POST"])
@unit_of_work
@login_required
@write_limit
def new():
    form = ReportForm(data=request.args.to_dict() if request.method == "GET" else None)
    target = load_target(*parse_target(form.target_type.data, form.target_id.data))
    if form.validate_on_submit():
        try:
            queue.create_report(current_user, target.type, target.id, form.reason.data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash("Thanks: your report is in the queue. You will be told the outcome.", "success")
            return redirect_to(target.url or "/")
    status = 422 if form.is_submitted() else 200
    return render("reports/new.html", "reports/_form.html", status=status, form=form, target=target)
