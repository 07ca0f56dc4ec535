"""Real programs on loopback that read KTC's calendar files and e-mails: an SMTP server
(aiosmtpd), a CalDAV server (Radicale) and ical.js under node. Shared by tests/mail and
tests/calendar."""
import fcntl
import json
import socket
import subprocess
import threading
from email import message_from_bytes, policy
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

JS_DIR = Path(__file__).resolve().parent / "js"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What a local aiosmtpd server received, as parsed e-mail messages."""

    def __init__(self):
        self.messages = []
        self.envelopes = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class RadicaleServer:
    """Radicale in this process (a thread), on loopback, no authentication, storage in a temp dir."""

    def __init__(self, storage):
        import radicale
        from radicale import config

        configuration = config.load()
        configuration.update({
            "auth": {"type": "none"},
            "rights": {"type": "owner_only"},
            "storage": {"filesystem_folder": str(storage)},
            "logging": {"level": "error", "mask_passwords": "True"},
        }, "test", privileged=True)
        self.app = radicale.Application(configuration)
        self.server = make_server("127.0.0.1", 0, self.app, server_class=WSGIServer, handler_class=_QuietHandler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def ensure_icaljs():
    """Install ical.js from tests/js/package-lock.json once (locked: xdist workers may race)."""
    with open(JS_DIR / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (JS_DIR / "node_modules" / "ical.js").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=JS_DIR, check=True,
                           timeout=300)


def icaljs_read(text):
    """ical.js's reading of a calendar file: {"method", "events": [{uid, sequence, status, start, end, alarms}]}."""
    result = subprocess.run(["node", str(JS_DIR / "instants.mjs")], input=text, capture_output=True, text=True,
                            cwd=JS_DIR, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- pytest fixtures (imported by tests/calendar/conftest.py and tests/mail/conftest.py) ------
import pytest  # noqa: E402


@pytest.fixture
def smtp_server(app):
    """A running local SMTP server; KTC_MAIL_URL points at it for the test."""
    server = SmtpServer()
    server.start()
    previous = app.config.get("KTC_MAIL_URL")
    app.config["KTC_MAIL_URL"] = server.url
    try:
        yield server
    finally:
        server.stop()
        app.config["KTC_MAIL_URL"] = previous


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    server = RadicaleServer(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


@pytest.fixture
def caldav_calendar(radicale, request):
    """A fresh calendar collection on the Radicale server (one per test)."""
    import caldav

    client = caldav.DAVClient(url=radicale.url, username="ktc", password="unused")
    name = "".join(ch for ch in request.node.name if ch.isalnum())[:40] + str(free_port())
    return client.principal().make_calendar(name=name, cal_id=name)


@pytest.fixture(scope="session")
def icaljs():
    ensure_icaljs()
    return icaljs_read
