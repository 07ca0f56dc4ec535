#!/usr/bin/env bash
# The whole suite, on SQLite and on PostgreSQL. Starts a throwaway PostgreSQL server unless
# DATABASE_URL names one (tests then create their own databases on that server).
set -euo pipefail
BIN=${1:-.venv/bin}
export PATH="$PWD/$BIN:$PATH"
[ -d "$BIN" ] && export PATH="$(cd "$BIN" && pwd):$PATH"
unset KTC_ENV
jobs=${PYTEST_JOBS:-auto}
pg_dir=""
cleanup() { [ -n "$pg_dir" ] && bash scripts/pg.sh stop "$pg_dir"; return 0; }
trap cleanup EXIT

if [ -n "${DATABASE_URL:-}" ]; then
  pg_url=$DATABASE_URL
else
  pg_dir=$(mktemp -d /tmp/ktc-pg.XXXXXX)
  pg_url=$(bash scripts/pg.sh start "$pg_dir")
fi

echo "== bandit (no high-severity findings in ktc/)"
bandit -q -r ktc -lll

echo "== import contracts (the layering in pyproject.toml, [tool.importlinter])"
lint-imports --no-cache --no-logo

echo "== migrations (SQLite)"
env -u DATABASE_URL bash scripts/check_migrations.sh "$BIN"
echo "== migrations (PostgreSQL)"
python - "$pg_url" <<'PY'
import sys, psycopg
url = sys.argv[1]
base = url.rsplit("/", 1)[0]
with psycopg.connect(base + "/postgres", autocommit=True) as c:
    c.execute('DROP DATABASE IF EXISTS "ktc_migrations" WITH (FORCE)')
    c.execute('CREATE DATABASE "ktc_migrations"')
PY
DATABASE_URL="${pg_url%/*}/ktc_migrations" bash scripts/check_migrations.sh "$BIN"

status=0
echo "== tests on SQLite"
env -u DATABASE_URL -u KTC_TEST_DATABASE_URL python -m pytest -n "$jobs" -p no:cacheprovider "${@:2}" || status=$?
echo "== tests on PostgreSQL"
KTC_TEST_DATABASE_URL="$pg_url" python -m pytest -n "$jobs" -p no:cacheprovider "${@:2}" || status=$?
exit $status
