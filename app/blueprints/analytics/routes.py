import csv
import io

from flask import Blueprint, abort, make_response, request
from flask_login import current_user

from app.services.analytics import summary as analytics
from app.services.analytics.charts import bar_chart
from app.services.analytics.ranges import PRESETS, parse_range
from app.services.errors import Invalid
from app.web.auth import login_required
from app.web.htmx import render
from app.web.work import unit_of_work

bp = Blueprint("analytics", __name__)


def _range():
    return parse_range(request.args.get("from"), request.args.get("to"), days=request.args.get("days"))


@bp.get("/analytics")
@unit_of_work
@login_required
def index():
    try:
        rng, error = _range(), None
    except Invalid as exc:
        rng, error = parse_range(None, None), exc
    report = analytics.creator_report(current_user.id, rng)
    data = report["summary"]
    charts = {key: bar_chart(data[key]["daily"], money=money) for key, (_, money) in analytics.METRICS.items()}
    status = 422 if error else 200  # HTMX swaps 422 (the form with its error), not 400
    return render("analytics/index.html", "analytics/_report.html", status=status, data=data, charts=charts,
                  metrics=analytics.METRICS, sections=analytics.SECTIONS, presets=PRESETS, rng=rng, error=error,
                  days=request.args.get("days", ""), posts=report["posts"], items=report["items"])


@bp.get("/analytics/<metric>.csv")
@unit_of_work
@login_required
def export(metric: str):
    if metric not in analytics.METRICS:
        abort(404)
    data = analytics.creator_summary(current_user.id, _range())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", metric])
    writer.writerows(analytics.metric_rows(data, metric))
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{metric}-{data["range"]["from"]}-{data["range"]["to"]}.csv"')
    return response
