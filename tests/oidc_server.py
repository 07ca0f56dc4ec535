"""A real OpenID Provider for the tests: the Node `oidc-provider` (tests/js/oidc_server.mjs) on a
loopback port, with the clients and accounts the test gives it."""
import json
import selectors
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

JS_DIR = Path(__file__).resolve().parent / "js"


START_SECONDS = 30  # node starts in about a second; a start that hangs is retried
ATTEMPTS = 3


def _start(config):
    """The provider's process and its issuer, or (None, why) when it did not say it was ready in time.

    Rarely, node hangs before it listens (seen once in ~40 CI runs: no socket, every thread idle);
    waiting for the first line without a bound would hang the whole test run.
    """
    proc = subprocess.Popen(["node", str(JS_DIR / "oidc_server.mjs"), str(config)], cwd=JS_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        line = proc.stdout.readline() if selector.select(timeout=START_SECONDS) else ""
    if line.startswith("ready "):
        return proc, line.split()[1]
    _stop(proc)
    return None, line


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    proc.stdout.close()


@contextmanager
def running_provider(clients, accounts):
    """Start the provider; yields its issuer URL; stops it afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"clients": clients, "accounts": accounts}))
        for _ in range(ATTEMPTS):
            proc, issuer = _start(config)
            if proc is not None:
                break
        else:
            raise RuntimeError(f"oidc-provider did not start in {ATTEMPTS} attempts: {issuer!r}")
        try:
            yield issuer
        finally:
            _stop(proc)
