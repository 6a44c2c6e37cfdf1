#!/usr/bin/env bash
# Two dynos on one machine: two gunicorn gevent processes of DreamDot on two ports, sharing a
# fresh PostgreSQL database, Redis and MongoDB, with users on different processes (sign-in,
# feed, notifications over SSE, chat over the websocket both ways, purchases). Runs
# tests/infra/test_two_dynos.py. PG_URL and REDIS_URL name the servers (this machine's by
# default); the database is created for the run and dropped after it. MongoDB is the fake
# server of tests/fakes/mongo_server.py, started by the test, unless TEST_MONGODB_URI names one.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/14}
PY=${PY:-.venv/bin/python}
DB=dreamdot_two_dynos_$$
psql "$PG_URL/postgres" -q -c "CREATE DATABASE $DB"
trap 'psql "$PG_URL/postgres" -q -c "DROP DATABASE IF EXISTS $DB" || true' EXIT
TEST_DATABASE_URL="$PG_URL/$DB" TEST_REDIS_URL="$REDIS_URL" DREAMDOT_REQUIRE=postgres,redis \
  "$PY" -m pytest tests/infra/test_two_dynos.py -v "$@"
