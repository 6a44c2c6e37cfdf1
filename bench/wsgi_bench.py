"""The app as `wsgi:app` serves it, plus one bare route that does no work: the baseline
that bench/feed.py compares the feed against, in the same process and the same run."""

from wsgi import app


@app.get("/bench/bare")
def bench_bare():
    return "ok"
