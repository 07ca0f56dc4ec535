"""The outbox under load and after faults, against a real local SMTP server: a backlog goes out in
one run, a crash after the server accepted a message does not send it again, a message sent again
keeps its Message-ID, and the backoff setting decides when a failed message is tried again."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail import jobs, sender
from ktc.mail.models import OutboxMessage

from tests.mail.helpers import queue

ROOT = Path(__file__).resolve().parents[2]


def _statuses():
    db.session.expire_all()
    return list(db.session.execute(select(OutboxMessage.status).order_by(OutboxMessage.id)).scalars())


def _received_recipients(smtp_server):
    return sorted(m["To"] for m in smtp_server.inbox.messages)


class Crash(Exception):
    """Stands for the scheduler process being killed at this point."""


def test_a_backlog_goes_out_in_one_run(smtp_server):
    queue(250)
    assert jobs.send_outbox() == 250
    assert _received_recipients(smtp_server) == sorted(f"person{i}@example.org" for i in range(250))
    assert set(_statuses()) == {"sent"}


def test_a_run_starts_no_message_after_its_time_is_up_and_the_next_run_carries_on(app, smtp_server):
    queue(5)
    app.config["KTC_OUTBOX_TIME_BUDGET_SECONDS"] = 0
    try:
        assert jobs.send_outbox() == 1
    finally:
        app.config["KTC_OUTBOX_TIME_BUDGET_SECONDS"] = 50
    assert _statuses() == ["sent"] + ["pending"] * 4
    assert jobs.send_outbox() == 4
    assert len(smtp_server.inbox.messages) == 5


def test_a_crash_right_after_the_server_accepted_a_message_leaves_it_marked_sent(monkeypatch, smtp_server):
    queue(3)
    build = sender.mime.build
    built = []

    def build_then_crash_on_the_second(message, *args):
        built.append(message.id)
        if len(built) == 2:  # the first message is through the server; the process dies here
            raise Crash()
        return build(message, *args)

    monkeypatch.setattr(sender.mime, "build", build_then_crash_on_the_second)
    now = utcnow()
    with pytest.raises(Crash):
        sender.send_pending(now)
    db.session.rollback()  # what the scheduler's job wrapper does
    assert len(smtp_server.inbox.messages) == 1
    assert _statuses() == ["sent", "pending", "pending"]

    monkeypatch.setattr(sender.mime, "build", build)
    # Even once a crashed sender's rows count as abandoned, the message it delivered stays delivered.
    assert sender.send_pending(now + sender.STALE_AFTER + timedelta(minutes=1)) == 2
    assert _received_recipients(smtp_server) == [f"person{i}@example.org" for i in range(3)]


def test_a_crash_between_acceptance_and_its_commit_repeats_the_message_with_the_same_message_id(
        monkeypatch, smtp_server):
    # The one window left, documented in the README: delivered at least once.
    queue(1)
    mark_sent = sender._mark_sent

    def crash(message_id):
        raise Crash()

    monkeypatch.setattr(sender, "_mark_sent", crash)
    now = utcnow()
    with pytest.raises(Crash):
        sender.send_pending(now)
    db.session.rollback()
    monkeypatch.setattr(sender, "_mark_sent", mark_sent)
    assert _statuses() == ["sending"]
    assert sender.send_pending(now + timedelta(minutes=5)) == 0  # perhaps a live sender: left alone
    assert sender.send_pending(now + sender.STALE_AFTER + timedelta(minutes=1)) == 1
    first, again = smtp_server.inbox.messages
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Date"] == again["Date"]
    assert _statuses() == ["sent"]


def test_a_message_refused_for_now_is_retried_with_the_same_message_id(monkeypatch, smtp_server):
    queue(1)
    inbox = smtp_server.inbox
    accept = inbox.handle_DATA
    refused = []

    async def refuse_the_first_time(server, session, envelope):
        if not refused:
            refused.append(envelope.original_content)
            return "451 4.3.0 Temporary failure, try again later"
        return await accept(server, session, envelope)

    monkeypatch.setattr(inbox, "handle_DATA", refuse_the_first_time)
    now = utcnow()
    assert sender.send_pending(now) == 0
    (message,) = db.session.execute(select(OutboxMessage)).scalars()
    assert message.status == "pending" and message.attempts == 1 and "451" in message.last_error
    assert sender.send_pending(message.next_attempt_at) == 1
    (delivered,) = inbox.messages
    assert b"Message-ID: " + delivered["Message-ID"].encode() in refused[0]


def test_the_backoff_setting_decides_when_a_failed_message_is_tried_again(app, smtp_server):
    queue(1)
    smtp_server.stop()
    app.config["KTC_OUTBOX_BACKOFF_SECONDS"] = 600
    try:
        now = utcnow()
        assert sender.send_pending(now) == 0
        smtp_server.start()
        assert sender.send_pending(now + timedelta(seconds=599)) == 0
        assert sender.send_pending(now + timedelta(seconds=600)) == 1
    finally:
        app.config["KTC_OUTBOX_BACKOFF_SECONDS"] = 60


@pytest.mark.slow
def test_the_backoff_setting_in_the_environment_takes_effect(app, smtp_server):
    queue(1)
    smtp_server.stop()  # the scheduler finds the mail server down
    env = {k: v for k, v in os.environ.items() if k not in ("KTC_ENV", "FLASK_DEBUG")}
    env.update(
        DATABASE_URL=db.engine.url.render_as_string(hide_password=False),
        SECRET_KEY=app.config["SECRET_KEY"],
        KTC_MAIL_URL=smtp_server.url,
        KTC_OUTBOX_BACKOFF_SECONDS="7200",
    )
    before = utcnow()
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "ktc", "send-outbox"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    db.session.expire_all()
    (message,) = db.session.execute(select(OutboxMessage)).scalars()
    assert message.attempts == 1
    assert message.next_attempt_at >= before + timedelta(seconds=7200)
