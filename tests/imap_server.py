"""A throwaway Dovecot IMAP server on loopback for the tests, as a non-root user in a temp dir.

Like scripts/pg.sh for PostgreSQL: Debian's dovecot binary with a minimal configuration of its
own (no system config read), users from a static passwd-file, maildirs under the temp dir, no TLS
(loopback only). As root the server runs as the `dovecot` user; otherwise as the current user.
"""
import grp
import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.calendar_servers import free_port

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
USER = "ktc@example.org"
PASSWORD = "imap-test-password"

_CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%n
mail_uid = {user}
mail_gid = {group}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={dir}/home/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {user}
}}
service auth-worker {{
  user = {user}
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
"""


def _as_user():
    """(user, group, command prefix): root hands the server to the `dovecot` user, as pg.sh does."""
    if os.geteuid() == 0:
        account = pwd.getpwnam("dovecot")
        return account.pw_name, grp.getgrgid(account.pw_gid).gr_name, ["runuser", "-u", account.pw_name, "--"]
    account = pwd.getpwuid(os.geteuid())
    return account.pw_name, grp.getgrgid(account.pw_gid).gr_name, []


class DovecotServer:
    """Dovecot in the foreground (`dovecot -F`) with one mailbox user, stopped with SIGTERM."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.port = free_port()
        self.user, self.password = USER, PASSWORD
        user, group, prefix = _as_user()
        for sub in ("run", "state", "mail", "home"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        config = self.dir / "dovecot.conf"
        config.write_text(_CONFIG.format(dir=self.dir, user=user, group=group, port=self.port))
        if os.geteuid() == 0:
            shutil.chown(self.dir, user, group)
            for path in self.dir.rglob("*"):
                shutil.chown(path, user, group)
        self.process = subprocess.Popen(
            [*prefix, DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self._wait_until_ready()

    def _wait_until_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()} {self.log()}")
            try:
                with imaplib.IMAP4("127.0.0.1", self.port, timeout=2) as conn:
                    conn.login(self.user, self.password)
                    return
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dovecot did not answer: {self.log()}") from None
                # Polling a starting server: no fixed sleep decides the outcome of a test.
                time.sleep(0.05)

    def log(self):
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def url(self):
        return f"imap://{self.user.replace('@', '%40')}:{self.password}@127.0.0.1:{self.port}"

    def connect(self):
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def deliver(self, raw, folder="INBOX"):
        """Put a message into a folder, as the mail server does when a reply arrives."""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        with self.connect() as conn:
            if folder != "INBOX":
                conn.create(folder)
            typ, data = conn.append(folder, None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            assert typ == "OK", data

    def folder(self, name):
        """The raw messages now in a folder (empty if the folder does not exist)."""
        with self.connect() as conn:
            typ, _ = conn.select(_quote(name), readonly=True)
            if typ != "OK":
                return []
            _typ, data = conn.uid("SEARCH", None, "ALL")
            messages = []
            for uid in data[0].split():
                _typ, fetched = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                messages.append(fetched[0][1])
            return messages

    def empty(self):
        """Remove every folder and message (between tests)."""
        with self.connect() as conn:
            _typ, listing = conn.list()
            for line in listing or []:
                name = line.decode().rsplit(' "/" ', 1)[-1].strip('"')
                if name.upper() == "INBOX":
                    _typ, count = conn.select("INBOX")
                    if int(count[0]):
                        conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                        conn.expunge()
                    conn.close()
                else:
                    conn.delete(_quote(name))

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stderr.close()


def _quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(scope="session")
def dovecot():
    """One Dovecot for the test session (per xdist worker); skipped only when it is not installed."""
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (Debian package dovecot-imapd): the IMAP tests need a real server")
    # A directory of its own under /tmp, not pytest's: pytest keeps its root-owned base at mode 0700,
    # which the dovecot user (when the tests run as root) could not enter.
    directory = tempfile.mkdtemp(prefix="ktc-dovecot-")
    server = DovecotServer(directory)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def imap(dovecot, app):
    """The Dovecot mailbox, empty, with KTC_IMAP_URL pointing at it for the test."""
    dovecot.empty()
    previous = app.config.get("KTC_IMAP_URL")
    app.config["KTC_IMAP_URL"] = dovecot.url
    try:
        yield dovecot
    finally:
        app.config["KTC_IMAP_URL"] = previous
