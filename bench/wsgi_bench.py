"""The app as `wsgi:app` serves it, plus two routes that do no work of their own: the
baselines that bench/feed.py compares the feed against, in the same process and the same
run. `/bench/bare` answers "ok"; `/bench/signed-in` answers the signed-in user's name, so it
costs what every signed-in page costs before its own work (the session cookie, the one
statement that loads the user from their sign-in session, the unit of work)."""

from flask_login import current_user

from app.web.auth import login_required
from app.web.work import read_only
from wsgi import app


@app.get("/bench/bare")
def bench_bare():
    return "ok"


@app.get("/bench/signed-in")
@read_only
@login_required
def bench_signed_in():
    return current_user.username
