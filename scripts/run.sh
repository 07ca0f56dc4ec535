#!/usr/bin/env bash
# `make run`: check the port, migrate, load the demo, then run the scheduler process and the
# web server side by side until Ctrl-C (or either of them stops), and stop both.
#   bash scripts/run.sh [BIN] [HOST] [PORT]      (defaults: .venv/bin 127.0.0.1 5000)
set -euo pipefail
BIN=${1:-.venv/bin}
HOST=${2:-127.0.0.1}
PORT=${3:-5000}
export KTC_ENV=${KTC_ENV:-development}
export FLASK_APP=wsgi
case $HOST in
  *:*) url_host="[$HOST]" ;;  # IPv6 address
  *) url_host=$HOST ;;
esac
export KTC_BASE_URL=${KTC_BASE_URL:-http://$url_host:$PORT}

# Before anything starts: is the port free? (One line, then stop.)
if ! "$BIN/python" - "$HOST" "$PORT" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(info[0], socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the web server does
        s.bind(info[4])
except OSError as error:
    sys.exit(f"Cannot serve on {host}:{port}: {error.strerror or error}. "
             f"Stop what uses it or choose another port: make run PORT={port + 1}")
PY
then
  exit 1
fi

"$BIN/flask" db upgrade
"$BIN/flask" ktc demo

pids=()
stop() {
  trap - EXIT
  trap 'kill -KILL "${pids[@]}" 2>/dev/null || true' INT TERM HUP  # a second Ctrl-C: no more waiting
  kill -TERM "${pids[@]}" 2>/dev/null || true
  # Wait until both are gone, so nothing outlives this script (the scheduler lets a running job end).
  local pid
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || wait "$pid" 2>/dev/null || true
  done
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop; exit 129' HUP

# Both run in the background of this script, so the pids are the real processes and this shell
# gets Ctrl-C at once; then `stop` ends both.
"$BIN/flask" ktc scheduler &
pids+=($!)
"$BIN/flask" run --host "$HOST" --port "$PORT" &
pids+=($!)
echo "KTC is at $KTC_BASE_URL (scheduler: process ${pids[0]}, web server: process ${pids[1]}). Ctrl-C stops both."
# When either stops by itself (a crash, or the port taken after all), stop the other too.
status=0
if (( BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 403 )); then
  wait -n || status=$?  # the first of the two to stop
else
  wait "${pids[1]}" || status=$?  # bash < 4.3 (macOS's /bin/bash): the web server
fi
exit "$status"
