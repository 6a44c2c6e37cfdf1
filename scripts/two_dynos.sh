#!/usr/bin/env bash
# Two dynos on one machine: two gunicorn gevent processes of DreamDot on two ports, sharing
# PostgreSQL, Redis and the MongoDB-protocol server, with users on different processes
# (sign-in, feed, notifications over SSE, chat over the websocket both ways, purchases). Runs
# tests/infra/test_two_dynos.py on the suite's stores (tests/stores.py: the embedded servers,
# or TEST_DATABASE_URL / TEST_MONGODB_URI) and REDIS_URL (this machine's by default).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
TEST_REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/14}" DREAMDOT_REQUIRE=redis \
  "$PY" -m pytest tests/infra/test_two_dynos.py -p no:xdist -v "$@"
