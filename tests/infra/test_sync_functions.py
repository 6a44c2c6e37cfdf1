"""Flask's `ensure_sync` answers once per function (app/__init__.py, _remember_sync_functions)."""

from __future__ import annotations

import flask.app
import pytest


def test_a_sync_function_is_asked_about_once_and_given_back_as_it_is(app, monkeypatch):
    asked = []
    original = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda func: asked.append(func) or original(func))

    def view():
        return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view
    assert asked == [view]


def test_a_coroutine_function_is_never_given_back_unwrapped(app):
    async def view():
        return "ok"

    for _ in range(2):
        try:
            wrapped = app.ensure_sync(view)
        except RuntimeError as refused:  # Flask's async support (asgiref) is not installed
            assert "async" in str(refused).lower()
        else:
            assert wrapped is not view


def test_a_function_made_for_one_request_is_not_kept_alive(app):
    import gc
    import weakref

    def make():
        secret = object()
        return lambda: secret

    func = make()
    assert app.ensure_sync(func) is func
    gone = weakref.ref(func)
    del func
    gc.collect()
    assert gone() is None


@pytest.mark.parametrize("path", ["/", "/signin", "/explore"])
def test_hooks_and_views_run_through_the_remembered_answers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # an after_request hook ran
