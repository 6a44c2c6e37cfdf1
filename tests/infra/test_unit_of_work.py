"""The request's unit of work (app/web/work.py): on every view, committed on success and
rolled back otherwise, in one place."""

import pytest
import sqlalchemy as sa
from flask import abort

from app.extensions import db
from app.models import AuditEvent
from app.services.audit import record_event
from app.web.work import read_only, unit_of_work

# The websocket's handshake is gated and committed before the upgrade (chat/ws.py), and
# static files touch no store.
WITHOUT = {"static", "chat.socket"}


def test_every_view_is_a_unit_of_work(app):
    missing = sorted(endpoint for endpoint, view in app.view_functions.items()
                     if endpoint not in WITHOUT and not getattr(view, "unit_of_work", False))
    assert missing == []


@pytest.fixture
def views(make_app):
    application = make_app()

    @unit_of_work
    def write(status):
        record_event("work_test", details_status=status)
        record_event("work_test_durable", durable=True)
        if status == 500:
            raise RuntimeError("boom")
        return "done", status

    @read_only
    def read():
        return str(db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))

    application.add_url_rule("/work/<int:status>", "work_test", write)
    application.add_url_rule("/work/read", "work_read", read)
    return application


def actions(application) -> list[str]:
    with application.app_context():
        rows = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("work_test%")))
        found = sorted(rows)
        db.session.remove()
    return found


def test_a_success_commits(views):
    assert views.test_client().get("/work/201").status_code == 201
    assert actions(views) == ["work_test", "work_test_durable"]


@pytest.mark.parametrize("status", [422, 500])
def test_a_failure_rolls_back_but_keeps_durable_events(views, status):
    assert views.test_client().get(f"/work/{status}").status_code == status
    assert actions(views) == ["work_test_durable"]


def test_a_read_only_view_reads(views):
    client = views.test_client()
    client.get("/work/201")
    response = client.get("/work/read")
    assert response.status_code == 200 and int(response.get_data(as_text=True)) >= 2


def test_an_http_error_inside_rolls_back(make_app):
    application = make_app()

    @unit_of_work
    def refuse():
        record_event("work_test_refused")
        abort(403)

    application.add_url_rule("/work/refuse", "work_refuse", refuse)
    assert application.test_client().get("/work/refuse").status_code == 403
    assert actions(application) == []
