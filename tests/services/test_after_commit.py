"""Work queued for the commit (a live event, a mail, a chat document): run once the
transaction it was made in commits, never when that transaction or its savepoint rolls back,
and a failure after the commit leaves the commit standing."""

from __future__ import annotations

import logging

import pytest

from app.extensions import db
from app.services.after_commit import after_commit
from tests.factories import UserFactory


def test_runs_once_after_the_commit_not_before():
    ran = []
    UserFactory()
    after_commit(db.session, lambda: ran.append("sent"), label="test")
    db.session.flush()
    assert ran == []
    db.session.commit()
    assert ran == ["sent"]
    db.session.commit()  # a later commit does not run it again
    assert ran == ["sent"]


def test_a_rollback_drops_it():
    ran = []
    UserFactory()
    after_commit(db.session, lambda: ran.append("sent"), label="test")
    db.session.rollback()
    db.session.commit()
    assert ran == []


def test_a_rolled_back_savepoint_drops_only_what_was_queued_inside_it():
    ran = []
    UserFactory()
    after_commit(db.session, lambda: ran.append("outer"), label="test")
    savepoint = db.session.begin_nested()
    after_commit(db.session, lambda: ran.append("inner"), label="test")
    savepoint.rollback()
    db.session.commit()
    assert ran == ["outer"]


def test_a_failing_action_is_logged_and_the_rest_still_run(caplog):
    ran = []
    user = UserFactory()

    def broken():
        raise RuntimeError("broker down")

    after_commit(db.session, broken, label="broker publish")
    after_commit(db.session, lambda: ran.append("mail"), label="mail")
    with caplog.at_level(logging.ERROR, logger="dreamdot.after_commit"):
        db.session.commit()
    assert ran == ["mail"]
    assert db.session.get(type(user), user.id) is not None
    assert any("broker publish after the commit failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("nested", [False, True])
def test_nothing_queued_leaves_the_session_clean(nested):
    if nested:
        with db.session.begin_nested():
            pass
    db.session.commit()
    assert "dreamdot.after_commit" not in db.session.info
