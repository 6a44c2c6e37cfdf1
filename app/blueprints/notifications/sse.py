"""GET /events: the one server-sent event stream of a signed-in user.

The route authenticates, subscribes, reads what a reconnecting browser missed, then
releases the database session before streaming: an idle stream holds no connection.

A live event is cheap per stream (one worker may hold thousands): the broker puts it on
each local stream's queue, and what it becomes (the HTML of the notification and of the
badge, from the same partials as the pages) is made once per event and recipient, by the
first of that user's streams to wake, and handed to the user's other streams (`RenderOnce`).
Streams do not re-authenticate per event. A sign-out, password change or suspension is
broadcast to the user's channel and ends the affected streams at once; anything else that
ends a session (expiry, a row changed by hand, a broadcast lost while Redis was away) is
caught by a re-check every SSE_AUTH_CHECK_SECONDS at most (see docs/decisions.md)."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict

from flask import Response, current_app, render_template, request
from flask_login import current_user

from app.blueprints.notifications.routes import bp
from app.extensions import db
from app.services import notifications
from app.services.accounts.sessions import session_tag
from app.services.broker import broker, user_channel
from app.services.ids import MAX_ID
from app.services.numbers import to_int
from app.web.auth import login_required
from app.web.work import unit_of_work

REPLAY_LIMIT = 100
# The last frame of a stream whose sign-in ended: the page's `sse-close="signed_out"` closes
# its EventSource on it, so the browser neither reports an error nor reconnects.
SIGNED_OUT = "event: signed_out\ndata: \n\n"
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
    return to_int(raw, minimum=0, maximum=MAX_ID) or 0


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
@unit_of_work
@login_required
def events():
    user_id, after = current_user.id, last_event_id()
    session_id = current_user.auth_session_id or ""
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
    # The application itself (not the proxy), which the stream uses after this request.
    application = current_app.app_context().app
    stream = EventStream(application, dict(request.environ), user_id,
                         subscription, first, after, replayed, session_tag(session_id))
    response = Response(stream, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response


class _Made:
    __slots__ = ("identity", "ready", "value")

    def __init__(self, identity) -> None:
        self.identity = identity
        self.ready = threading.Event()
        self.value: list[str] = []


class RenderOnce:
    """What one broker event becomes for one recipient, made once per process and shared by
    the recipient's streams. The broker hands the same event object to every local
    subscriber of a channel, so (recipient, the event object) names the work: the first
    stream to ask makes it, the others wait for it (or find it made). Entries are few and
    short-lived: the newest `size` are kept. A stream whose event was evicted before it
    asked (it was that far behind) makes it again: correct, only slower."""

    WAIT = 30.0

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple, _Made] = OrderedDict()
        self.made = 0  # how many times something was made (tests count renders with it)

    def get(self, key: tuple, identity, make) -> list[str]:
        """`make()` once for (key, identity); a failure is not kept (the next asker tries
        again) and is raised to the stream that made it, the waiting streams get []."""
        with self.lock:
            entry = self.entries.get(key)
            mine = entry is None or entry.identity is not identity
            if mine:
                entry = self.entries[key] = _Made(identity)
                self.entries.move_to_end(key)
                while len(self.entries) > self.size:
                    self.entries.popitem(last=False)
        if not mine:
            entry.ready.wait(self.WAIT)
            return entry.value
        try:
            entry.value = make()
            self.made += 1
        except BaseException:
            with self.lock:
                if self.entries.get(key) is entry:
                    del self.entries[key]
            raise
        finally:
            entry.ready.set()
        return entry.value


render_once = RenderOnce()
sign_in_checks = RenderOnce()  # the same single flight for the periodic sign-in checks


class EventStream:
    """The body of one stream: an iterator that werkzeug or gunicorn closes when the
    client goes away (then the subscription is closed)."""

    def __init__(self, app, environ, user_id, subscription, first, after, replayed, session) -> None:
        environ.pop("werkzeug.request", None)
        self.app, self.environ, self.user_id = app, environ, user_id
        self.subscription, self.first = subscription, first
        self.session = session  # session_tag() of the sign-in this stream belongs to
        # Live events the replay already sent (or the browser had) are not sent twice.
        self.after, self.replayed = after, replayed
        self.heartbeat = float(app.config.get("SSE_HEARTBEAT_SECONDS", 15))
        self.max_seconds = float(app.config.get("SSE_MAX_SECONDS", 600))
        self.auth_every = float(app.config.get("SSE_AUTH_CHECK_SECONDS", 60))
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
            # The browser's reconnection delay, jittered per stream: after an outage every
            # stream drops at once, and a fixed delay would bring them all back at once too.
            yield f": stream open\nretry: {2000 + secrets.randbelow(3000)}\n\n"
            yield from self.first
            now = last_write = time.monotonic()
            ends = now + self.max_seconds
            # The first re-check at a random point of the period: streams opened together
            # (after an outage, or a deploy) do not all check at once afterwards.
            check_at = now + self.auth_every / 2 * (0.5 + secrets.randbelow(1000) / 2000)
            while (now := time.monotonic()) < ends:
                if now >= check_at:
                    if not self._still_signed_in():
                        yield SIGNED_OUT
                        return
                    check_at = time.monotonic() + self.auth_every / 2
                wait = min(last_write + self.heartbeat - now, ends - now, check_at - now)
                if last_write + self.heartbeat <= now:
                    yield ": heartbeat\n\n"
                    last_write = now
                    continue
                event = self.subscription.get(timeout=max(wait, 0.0))
                if event is None:
                    continue
                if self._signs_me_out(event):
                    yield SIGNED_OUT
                    return
                chunks = self._chunks(event)
                if chunks:
                    yield "".join(chunks)
                    last_write = time.monotonic()
        finally:
            self.subscription.close()

    def _signs_me_out(self, event: dict) -> bool:
        if event.get("type") != "signed_out":
            return False
        if "session" in event:
            return event["session"] == self.session
        return event.get("all_but") != self.session

    def _still_signed_in(self) -> bool:
        """The sign-in re-checked as a new request would (session row, expiry, suspension),
        once per sign-in and period for all its streams (a browser's tabs send the same
        cookie): the period is SSE_AUTH_CHECK_SECONDS / 2, each stream asks once a period,
        so a session ended silently stops its streams within SSE_AUTH_CHECK_SECONDS.
        A database that cannot answer keeps the stream: it asks again next period."""
        period = max(self.auth_every / 2, 0.001)
        key = ("signed-in", self.user_id, self.session, int(time.monotonic() // period))
        try:
            answer = sign_in_checks.get(key, self.app, self._check_sign_in)
        except Exception:  # noqa: BLE001 - a database hiccup does not end every stream
            log.warning("event stream could not re-check its sign-in", exc_info=True)
            return True
        return answer != [False]

    def _check_sign_in(self) -> list[bool]:
        with self.app.request_context(self.environ):
            return [bool(current_user.is_authenticated and current_user.id == self.user_id)]

    def _chunks(self, event: dict) -> list[str]:
        """What this stream sends for one broker event: made once per recipient, shared.
        A bad event (or a database hiccup) is skipped and logged; the stream lives."""
        try:
            return self._shared(event)
        except Exception:  # noqa: BLE001
            log.exception("event stream could not render %s", event.get("type"))
            return []

    def _shared(self, event: dict) -> list[str]:
        kind = event.get("type")
        if kind == "notification":
            notification_id = event.get("id")
            if (not isinstance(notification_id, int) or notification_id <= self.after
                    or notification_id in self.replayed):
                return []  # already sent by the replay, or had by the browser
            return render_once.get((self.user_id, id(event)), event, lambda: self._render(self._notification, event))
        if kind == "unread":
            return render_once.get((self.user_id, id(event)), event, lambda: self._render(self._badge, event))
        if kind == "new_post":
            # The count is this stream's (posts since its page opened): the same HTML for
            # every stream and user at a given count.
            self.new_posts += 1
            count = self.new_posts
            return render_once.get(("new-posts", count), self.app,
                                   lambda: self._render(lambda _event: [render_new_posts(count)], event))
        return []

    def _render(self, render, event: dict) -> list[str]:
        """`render(event)` in a request context of its own (url_for needs one; the database
        session it opens is removed when it ends). No sign-in check here: see above."""
        with self.app.request_context(self.environ):
            return render(event)

    def _notification(self, event: dict) -> list[str]:
        views = notifications.get_notification_views(self.user_id, [event["id"]])
        if not views:
            return []  # rolled back, hidden by a block since, or someone else's
        return render_notifications(self.user_id, views)

    def _badge(self, _event: dict) -> list[str]:
        return [render_badge(self.user_id)]
