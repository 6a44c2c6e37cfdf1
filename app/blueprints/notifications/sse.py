"""GET /events: the one server-sent event stream of a signed-in user.

The route authenticates, subscribes, reads what a reconnecting browser missed, then
releases the database session before streaming: an idle stream holds no connection.
Each live event is rendered from the same partials as the pages inside a short request
context of its own, which checks the sign-in is still valid and returns its connection
as soon as the HTML is made."""

from __future__ import annotations

import logging
import time

from flask import Response, current_app, render_template, request
from flask_login import current_user

from app.blueprints.notifications import bp
from app.extensions import db
from app.services import notifications
from app.services.broker import broker, user_channel
from app.web.auth import login_required

REPLAY_LIMIT = 100
log = logging.getLogger("dreamdot.events")


def sse_message(event: str | None, data: str = "", event_id: int | None = None) -> str:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in (data.strip().splitlines() or [""]))
    return "\n".join(lines) + "\n\n"


def last_event_id() -> int:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or ""
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


def render_notifications(user_id: int, views) -> list[str]:
    """An `notification` message per view (for the list on /notifications), then the badge."""
    chunks = [sse_message("notification", render_template("notifications/_item.html", view=v), v.id)
              for v in views]
    if views:
        chunks.append(render_badge(user_id, views[-1].id))
    return chunks


def render_badge(user_id: int, event_id: int | None = None) -> str:
    badge = render_template("notifications/_badge.html", unread=notifications.unread_count(user_id))
    return sse_message("badge", badge, event_id)


def render_new_posts(count: int) -> str:
    return sse_message("new-posts", render_template("notifications/_new_posts.html", count=count))


@bp.get("/events")
@login_required
def events():
    user_id, after = current_user.id, last_event_id()
    subscription = broker().subscribe([user_channel(user_id)])
    try:
        missed = notifications.notifications_after(user_id, after, limit=REPLAY_LIMIT) if after else []
        first, replayed = render_notifications(user_id, missed), {v.id for v in missed}
        db.session.commit()
    except BaseException:
        subscription.close()
        raise
    finally:
        db.session.remove()  # the stream below must not hold a database connection
    stream = EventStream(current_app._get_current_object(), dict(request.environ), user_id,
                         subscription, first, after, replayed)
    response = Response(stream, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response


class EventStream:
    """The body of one stream: an iterator that werkzeug or gunicorn closes when the
    client goes away (then the subscription is closed)."""

    def __init__(self, app, environ, user_id, subscription, first, after, replayed) -> None:
        environ.pop("werkzeug.request", None)
        self.app, self.environ, self.user_id = app, environ, user_id
        self.subscription, self.first = subscription, first
        # Live events the replay already sent (or the browser had) are not sent twice.
        self.after, self.replayed = after, replayed
        self.heartbeat = float(app.config.get("SSE_HEARTBEAT_SECONDS", 15))
        self.max_seconds = float(app.config.get("SSE_MAX_SECONDS", 600))
        self.new_posts = 0
        self.generator = self._generate()

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        return next(self.generator).encode()

    def close(self) -> None:
        self.generator.close()
        self.subscription.close()

    def _generate(self):
        try:
            yield ": stream open\nretry: 3000\n\n"
            yield from self.first
            ends = time.monotonic() + self.max_seconds
            while (left := ends - time.monotonic()) > 0:
                event = self.subscription.get(timeout=min(self.heartbeat, left))
                if event is None:
                    yield ": heartbeat\n\n"
                    continue
                chunks = self._render(event)
                if chunks is None:  # signed out or suspended meanwhile
                    return
                yield from chunks
        finally:
            self.subscription.close()

    def _render(self, event: dict) -> list[str] | None:
        """HTML for one broker event, in a request context of its own (and so a database
        session that is removed when it ends)."""
        with self.app.request_context(self.environ):
            try:
                if not current_user.is_authenticated or current_user.id != self.user_id:
                    return None
                return self._render_event(event)
            except Exception:  # noqa: BLE001 - one bad event (or a database hiccup) skips, the stream lives
                log.exception("event stream could not render %s", event.get("type"))
                return []

    def _render_event(self, event: dict) -> list[str]:
        kind = event.get("type")
        if kind == "notification":
            return self._notification(event.get("id"))
        if kind == "unread":
            return [render_badge(self.user_id)]
        if kind == "new_post":
            self.new_posts += 1
            return [render_new_posts(self.new_posts)]
        return []

    def _notification(self, notification_id) -> list[str]:
        if (not isinstance(notification_id, int) or notification_id <= self.after
                or notification_id in self.replayed):
            return []  # already sent by the replay, or had by the browser
        views = notifications.get_notification_views(self.user_id, [notification_id])
        if not views:
            return []  # rolled back, hidden by a block since, or someone else's
        return render_notifications(self.user_id, views)
