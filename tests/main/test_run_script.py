"""`make run` (scripts/run.sh): serves on the port asked for, and Ctrl-C or a port already taken
leaves no scheduler or web server process behind."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180  # migrate + demo data + two processes, on a busy CI machine
# Generous: a stop that takes long on a loaded two-core machine is not a failure of the script (one
# such run timed out at 30 s); a script that does not stop still fails.
STOP_SECONDS = 90
# A request to the running app: the first build of a page on a loaded machine can take seconds.
ANSWER_SECONDS = 30


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Ctrl-C as a terminal has it: a program started in the background of a shell without job control (a
# suite run as `… &`) inherits SIGINT and SIGQUIT ignored, and bash cannot trap a signal ignored on
# entry. The script is run with both back at their defaults, as `make run` in a terminal gets them.
IN_A_TERMINAL = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"]


def _start(tmp_path, port):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KTC_", "FLASK_")) and k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'ktc.sqlite'}", SECRET_KEY="run-script-test")
    log = open(tmp_path / "run.log", "wb")
    process = subprocess.Popen(
        [*IN_A_TERMINAL, "bash", "scripts/run.sh", str(BIN), "127.0.0.1", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as `make run` is in a terminal
    )
    log.close()
    return process


def _output(tmp_path):
    return (tmp_path / "run.log").read_text(errors="replace")


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _get(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None, b""


@pytest.mark.slow
def test_run_serves_on_the_port_asked_for_and_ctrl_c_stops_the_scheduler(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(tmp_path, port)
    pgid = process.pid
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while _get(base + "/healthz")[0] != 200:
            assert time.monotonic() < deadline, f"not serving after {STARTUP_SECONDS}s:\n{_output(tmp_path)}"
            try:  # the pause between polls, cut short if the script stops
                process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"run.sh exited with {process.returncode}:\n{_output(tmp_path)}")

        output = _output(tmp_path)
        assert "Ctrl-C stops both" in output
        scheduler = int(re.search(r"scheduler: process (\d+)", output).group(1))
        assert "ktc scheduler" in Path(f"/proc/{scheduler}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert os.getpgid(scheduler) == pgid
        # Links in e-mails and calendars use the port the app is served on.
        status, body = _get(base + "/api/v1/openapi.json", timeout=ANSWER_SECONDS)
        assert status == 200
        assert json.loads(body)["servers"] == [{"url": base}]

        os.killpg(pgid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert process.wait(timeout=STOP_SECONDS) != 0
        with pytest.raises(ProcessLookupError):
            os.kill(scheduler, 0)
        assert not _group_alive(pgid), subprocess.run(
            ["ps", "-o", "pid,cmd", "-g", str(pgid)], capture_output=True, text=True).stdout
        assert _get(base + "/healthz")[0] is None
    finally:
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)


def test_run_on_a_taken_port_says_so_and_starts_nothing(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _start(tmp_path, port)
        try:
            returncode = process.wait(timeout=STARTUP_SECONDS)
        finally:
            if _group_alive(process.pid):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_SECONDS)

    assert returncode != 0
    output = _output(tmp_path).strip()
    assert output.splitlines() == [output]
    assert f"127.0.0.1:{port}" in output and "in use" in output
    assert f"make run PORT={port + 1}" in output
    assert not (tmp_path / "ktc.sqlite").exists()  # nothing was migrated, so nothing else started
    assert not _group_alive(process.pid)
