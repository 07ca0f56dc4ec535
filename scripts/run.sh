#!/usr/bin/env bash
# `make run`: migrate, load the demo, start the scheduler process and the web server.
set -euo pipefail
BIN=${1:-.venv/bin}
export KTC_ENV=${KTC_ENV:-development}
flask() { "$BIN/flask" --app wsgi "$@"; }
flask db upgrade
flask ktc demo
flask ktc scheduler &
scheduler=$!
trap 'kill $scheduler 2>/dev/null || true' EXIT INT TERM
echo "KTC is at http://127.0.0.1:5000 (the scheduler runs as process $scheduler)"
flask run --host 127.0.0.1 --port 5000
