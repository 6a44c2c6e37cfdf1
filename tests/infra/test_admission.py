"""Admission slots (app/web/admission.py): at most N requests of a gevent worker run the app
at once, the others wait their turn; websockets and streamed bodies hold no slot; a request
never waits past ADMISSION_WAIT_MS."""

import time

import gevent
import pytest

from app.web import admission
from app.web.admission import Admission


class App:
    """A WSGI app whose requests take `seconds` (cooperatively) and count who is inside."""

    def __init__(self, seconds=0.02, body=None):
        self.seconds = seconds
        self.body = body
        self.inside = 0
        self.most = 0
        self.order = []

    def __call__(self, environ, start_response):
        self.inside += 1
        self.most = max(self.most, self.inside)
        self.order.append(environ["n"])
        try:
            gevent.sleep(self.seconds)
        finally:
            self.inside -= 1
        start_response("200 OK", [])
        return self.body(self) if self.body else [b"ok"]


def call(wsgi, n, **environ):
    return b"".join(wsgi({"n": n, **environ}, lambda status, headers: None))


def run_all(wsgi, count, **environ):
    jobs = [gevent.spawn(call, wsgi, n, **environ) for n in range(count)]
    gevent.joinall(jobs, timeout=10, raise_error=True)
    return [job.value for job in jobs]


def test_at_most_the_slots_run_at_once_and_every_request_is_answered_in_turn():
    inner = App()
    answers = run_all(Admission(inner, 3, wait_seconds=5), 12)
    assert answers == [b"ok"] * 12
    assert inner.most == 3
    assert inner.order == list(range(12))  # first come, first served


def test_without_admission_every_request_runs_at_once():
    inner = App()
    run_all(inner, 12)
    assert inner.most == 12


def test_a_websocket_upgrade_takes_no_slot():
    inner = App()
    wsgi = Admission(inner, 1, wait_seconds=5)
    jobs = [gevent.spawn(call, wsgi, n, HTTP_UPGRADE="websocket") for n in range(5)]
    gevent.joinall(jobs, timeout=10, raise_error=True)
    assert inner.most == 5
    assert wsgi.semaphore.counter == 1


def test_a_streamed_body_is_sent_after_the_slot_is_given_back():
    seen = []

    def body(app):
        seen.append(wsgi.semaphore.counter)  # slots free while the body is iterated
        yield b"streamed"

    inner = App(body=body)
    wsgi = Admission(inner, 1, wait_seconds=5)
    assert call(wsgi, 0) == b"streamed"
    assert seen == [1]


def test_a_request_that_waited_too_long_runs_anyway():
    inner = App(seconds=0.5)
    wsgi = Admission(inner, 1, wait_seconds=0.05)
    started = time.monotonic()
    run_all(wsgi, 2)
    assert inner.most == 2  # the second ran beside the first once its wait was up
    assert wsgi.overrun == 1
    assert time.monotonic() - started < 0.9
    assert wsgi.semaphore.counter == 1  # the slot it never had is not given back


@pytest.mark.parametrize(("patched", "slots", "wrapped"), [(True, 4, True), (True, 0, False), (False, 4, False)])
def test_only_a_gevent_worker_with_slots_admits(make_app, monkeypatch, patched, slots, wrapped):
    monkeypatch.setattr(admission, "gevent_patched", lambda: patched)
    application = make_app(ADMISSION_SLOTS=slots)
    assert isinstance(application.wsgi_app, Admission) is wrapped
    if wrapped:
        assert application.wsgi_app.semaphore.counter == 4
        response = application.test_client().get("/healthz")
        assert response.status_code in (200, 503)
        assert application.wsgi_app.semaphore.counter == 4
