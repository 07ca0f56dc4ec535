#!/usr/bin/env bash
# Until the first release there is one migration: regenerate it from the models after a change.
set -euo pipefail
BIN=${1:-.venv/bin}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/*.py
DATABASE_URL="sqlite:///$tmp/regen.sqlite" SECRET_KEY=regen "$BIN/flask" --app wsgi db migrate -m "initial schema" 2>&1 | grep -v "^INFO"
