#!/usr/bin/env bash
# Migrations: one head, upgrade from empty, models match (`flask db check`), latest downgrade works.
# Uses DATABASE_URL when set, otherwise a temporary SQLite file.
set -euo pipefail
BIN=${1:-.venv/bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DATABASE_URL=${DATABASE_URL:-sqlite:///$tmp/check.sqlite}
export SECRET_KEY=${SECRET_KEY:-migration-check}
flask() { "$BIN/flask" --app wsgi "$@"; }
heads=$(flask db heads 2>/dev/null | grep -c '(head)')
[ "$heads" = 1 ] || { echo "expected one migration head, found $heads" >&2; exit 1; }
flask db upgrade >/dev/null 2>&1
flask db check
flask db downgrade -- -1 >/dev/null 2>&1
flask db upgrade >/dev/null 2>&1
flask db check >/dev/null
echo "migrations ok on ${DATABASE_URL%%:*}"
