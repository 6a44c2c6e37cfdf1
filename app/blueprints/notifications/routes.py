from flask import Blueprint, flash, request, url_for
from flask_login import current_user

from app.services import notifications
from app.web.auth import login_required, safe_next
from app.web.htmx import redirect_to, render, wants_partial
from app.web.work import unit_of_work

bp = Blueprint("notifications", __name__)


def _panel(**extra):
    cursor = request.args.get("cursor")
    views, next_cursor = notifications.list_notifications(current_user.id, cursor=cursor)
    partial = "notifications/_items.html" if cursor else "notifications/_panel.html"
    return render("notifications/index.html", partial, views=views, next_cursor=next_cursor,
                  first_page=not cursor, unread=notifications.unread_count(current_user.id), **extra)


@bp.get("/notifications")
@unit_of_work
@login_required
def index():
    return _panel()


@bp.post("/notifications/read")
@unit_of_work
@login_required
def mark_all_read():
    notifications.mark_read(current_user.id)
    if wants_partial():
        return _panel(oob_badge=True)
    flash("All notifications are marked read.", "success")
    return redirect_to(url_for("notifications.index"))


@bp.get("/notifications/<int:notification_id>")
@unit_of_work
@login_required
def show(notification_id: int):
    """Opening a notification marks it read and goes where it points."""
    notification = notifications.open_notification(current_user.id, notification_id)
    return redirect_to(safe_next(notification.url) or url_for("notifications.index"))
