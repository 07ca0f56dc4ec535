"""A real OpenID Provider for the tests: the Node `oidc-provider` (tests/js/oidc_server.mjs) on a
loopback port, with the clients and accounts the test gives it."""
import json
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

JS_DIR = Path(__file__).resolve().parent / "js"


@contextmanager
def running_provider(clients, accounts):
    """Start the provider; yields its issuer URL; stops it afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"clients": clients, "accounts": accounts}))
        proc = subprocess.Popen(["node", str(JS_DIR / "oidc_server.mjs"), str(config)], cwd=JS_DIR,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline()  # blocks until it listens (or dies: an empty line)
            if not line.startswith("ready "):
                raise RuntimeError(f"oidc-provider did not start: {line!r}")
            yield line.split()[1]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            proc.stdout.close()
