"""The sender's rules that the fifth mutation run (docs/MUTATION.md) found without a test: which
sender's verdict stays when a claim went stale, what reaches the mail server (envelope, connection
settings), what a failure records and logs, when a run stops, and what an admin's retry resets."""
import logging
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import update

from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail import sender
from ktc.mail.models import OutboxMessage
from ktc.mail.outbox import enqueue_event

from tests.mail.helpers import queue


def _row(message_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_sender_whose_claim_was_taken_over_leaves_the_verdict_to_the_sender_that_took_it(
        app, monkeypatch, smtp_server):
    """Sender A claims a message and stalls (after the server accepted it, before it marks it sent);
    ten minutes on, sender B takes the message over, and the recipient's server refuses it for good.
    A's late "sent" must not overwrite B's verdict: the row stays failed, with B's error, for an admin."""
    (message_id,) = queue(1)
    monkeypatch.setitem(app.config, "KTC_OUTBOX_MAX_ATTEMPTS", 1)
    claimed = utcnow()
    # Sender A: the claim, committed before it talks to the server.
    assert sender._claim(message_id, claimed)
    db.session.commit()

    async def refuse(server, session, envelope):
        return "550 5.1.1 Mailbox unavailable"

    monkeypatch.setattr(smtp_server.inbox, "handle_DATA", refuse)
    # Sender B, a run after A's claim went stale: takes the row over and records the refusal.
    assert sender.send_pending(claimed + sender.STALE_AFTER + timedelta(minutes=1)) == 0
    taken_over = _row(message_id)
    assert taken_over.status == "failed" and taken_over.last_error.startswith("SMTPDataError: (550")

    sender._mark_sent(message_id)  # A wakes up

    row = _row(message_id)
    assert row.status == "failed" and "550" in row.last_error and row.sent_at is None


class FakeServer:
    """Stands for smtplib's SMTP and SMTP_SSL: records how the sender connects and what it hands over."""

    def __init__(self, calls, disconnect=False):
        self.calls = calls
        self.disconnect = disconnect

    def __call__(self, kind):
        def connect(host, port, timeout):
            self.calls.append((kind, host, port, timeout))
            return self
        return connect

    def starttls(self):
        self.calls.append(("starttls",))

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message, from_addr, to_addrs):
        if self.disconnect:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.calls.append(("send", from_addr, to_addrs))

    def quit(self):
        self.calls.append(("quit",))


@pytest.fixture
def fake_server(app, monkeypatch):
    calls = []
    server = FakeServer(calls)
    monkeypatch.setattr(sender.smtplib, "SMTP", server("SMTP"))
    monkeypatch.setattr(sender.smtplib, "SMTP_SSL", server("SMTP_SSL"))
    monkeypatch.setitem(app.config, "KTC_MAIL_FROM", "KTC <ktc@example.org>")
    return server


@pytest.mark.parametrize("url, connected", [
    ("smtp://mail.example.org", [("SMTP", "mail.example.org", 25, 30)]),
    ("smtp://:2525", [("SMTP", "localhost", 2525, 30)]),
    ("smtps://mail.example.org", [("SMTP_SSL", "mail.example.org", 465, 30)]),
    ("smtps://ktc@mail.example.org:2465", [("SMTP_SSL", "mail.example.org", 2465, 30), ("login", "ktc", "")]),
    ("smtp+starttls://anna%40ktc:p%3Ass%20w@mail.example.org:587",
     [("SMTP", "mail.example.org", 587, 30), ("starttls",), ("login", "anna@ktc", "p:ss w")]),
])
def test_the_mail_url_decides_how_the_sender_connects(app, monkeypatch, fake_server, url, connected):
    """Host and port (the scheme's port by default), TLS from the start or by STARTTLS, the login
    with its percent-escapes undone, and a 30-second timeout so a hanging server cannot hold the run."""
    queue(1)
    monkeypatch.setitem(app.config, "KTC_MAIL_URL", url)
    assert sender.send_pending() == 1
    assert fake_server.calls == connected + [("send", "ktc@example.org", ["person0@example.org"]), ("quit",)]


def test_a_run_with_nothing_to_send_opens_no_connection(app, monkeypatch, fake_server):
    monkeypatch.setitem(app.config, "KTC_MAIL_URL", "smtp://mail.example.org")
    assert sender.send_pending() == 0
    assert fake_server.calls == []


def test_a_server_that_hangs_up_ends_the_run_and_the_message_waits_for_the_next(app, monkeypatch, fake_server):
    first, second = queue(2)
    fake_server.disconnect = True
    monkeypatch.setitem(app.config, "KTC_MAIL_URL", "smtp://mail.example.org")
    now = utcnow()
    assert sender.send_pending(now) == 0
    hung_up = _row(first)
    assert hung_up.status == "pending" and hung_up.attempts == 1
    assert hung_up.last_error.startswith("SMTPServerDisconnected: Connection unexpectedly closed")
    assert hung_up.next_attempt_at > now
    assert _row(second).attempts == 0 and _row(second).last_error is None
    assert fake_server.calls == [("SMTP", "mail.example.org", 25, 30)]  # no QUIT on a closed connection


def test_a_message_is_from_the_configured_sender_with_a_message_id_in_the_configured_domain(
        app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "KTC_MAIL_FROM", "KTC Kurscentrum <kurser@ktc.example.org>")
    monkeypatch.setitem(app.config, "KTC_MAIL_DOMAIN", "ktc.example.org")
    ids = queue(2)
    assert sender.send_pending() == 2
    # The envelope: bounces go to the sender's address, and each message to its recipient alone.
    assert [(e.mail_from, e.rcpt_tos) for e in smtp_server.inbox.envelopes] == [
        ("kurser@ktc.example.org", ["person0@example.org"]), ("kurser@ktc.example.org", ["person1@example.org"])]
    assert [(m["From"], m["Message-ID"]) for m in smtp_server.inbox.messages] == [
        ("KTC Kurscentrum <kurser@ktc.example.org>", f"<ktc-outbox-{message_id}@ktc.example.org>")
        for message_id in ids]


def test_a_server_that_cannot_be_reached_is_named_in_the_message_s_error(smtp_server):
    (message_id,) = queue(1)
    smtp_server.stop()
    assert sender.send_pending() == 0
    assert _row(message_id).last_error.startswith("ConnectionRefusedError: ")


def test_a_message_that_cannot_be_rendered_is_logged_by_its_id(smtp_server, caplog):
    lost_id = enqueue_event("booking_confirmed", "gone", "borta@example.org", 10**6, "REQUEST", 1)
    db.session.commit()
    with caplog.at_level(logging.ERROR, logger="ktc.mail.sender"):
        assert sender.send_pending() == 0
    assert [r.getMessage() for r in caplog.records] == [f"outbox message {lost_id} could not be rendered"]
    assert _row(lost_id).last_error.startswith("NothingToRender: ")


def test_each_failure_waits_twice_as_long_as_the_one_before_up_to_six_hours(app, monkeypatch):
    monkeypatch.setitem(app.config, "KTC_OUTBOX_BACKOFF_SECONDS", 60)
    waits = [sender.backoff(attempts) for attempts in (0, 1, 2, 3, 4, 9, 10, 30)]
    assert waits == [timedelta(minutes=m) for m in (1, 1, 2, 4, 8, 256)] + [timedelta(hours=6)] * 2


def _set(message_id, **values):
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    db.session.commit()


@pytest.fixture
def admin_client(client, login_as, make):
    login_as(make.user("admin", locale="en"))
    db.session.commit()
    return client


def test_an_admin_s_retry_puts_a_waiting_message_at_the_front_with_its_attempts_reset(admin_client, smtp_server):
    (message_id,) = queue(1)
    _set(message_id, attempts=3, last_error="451 try again later", next_attempt_at=utcnow() + timedelta(hours=2))
    page = admin_client.post(f"/mail/outbox/{message_id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "The message will be sent again at the next delivery run." in page
    row = _row(message_id)
    assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at <= utcnow()
    assert sender.send_pending() == 1


def test_a_sent_message_is_not_sent_again_by_a_retry(admin_client):
    (message_id,) = queue(1)
    _set(message_id, status="sent", attempts=1)
    page = admin_client.post(f"/mail/outbox/{message_id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "Only failed or waiting messages can be sent again." in page
    assert "will be sent again" not in page
    row = _row(message_id)
    assert row.status == "sent" and row.attempts == 1


def test_sending_all_failed_messages_again_resets_the_failed_ones_only(admin_client, smtp_server):
    failed, also_failed, sent, waiting = queue(4)
    later = utcnow() + timedelta(hours=2)
    _set(failed, status="failed", attempts=8, last_error="550 no such user")
    _set(also_failed, status="failed", attempts=8, last_error="550 no such user")
    _set(sent, status="sent", attempts=1)
    _set(waiting, attempts=2, next_attempt_at=later)
    page = admin_client.post("/mail/outbox/retry-failed", follow_redirects=True).get_data(as_text=True)
    assert "2 failed messages will be sent again." in page
    for message_id in (failed, also_failed):
        row = _row(message_id)
        assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at <= utcnow()
    assert (_row(sent).status, _row(sent).attempts) == ("sent", 1)
    assert (_row(waiting).status, _row(waiting).attempts, _row(waiting).next_attempt_at) == ("pending", 2, later)
    assert sender.send_pending() == 2
    assert sorted(m["To"] for m in smtp_server.inbox.messages) == ["person0@example.org", "person1@example.org"]


def test_a_run_lists_only_due_waiting_messages_and_ends_when_they_are_sent(app, monkeypatch, smtp_server):
    """Sent, sending and backing-off messages are not listed: listed, they could never be claimed,
    and the run would list them again and again until its time is up."""
    due, sent, sending, backing_off = queue(4)
    now = utcnow()
    _set(sent, status="sent")
    _set(sending, status="sending", claimed_at=now)
    _set(backing_off, attempts=1, next_attempt_at=now + timedelta(minutes=5))
    monkeypatch.setitem(app.config, "KTC_OUTBOX_TIME_BUDGET_SECONDS", 2)
    listed = []
    due_ids = sender._due_ids

    def listing(at):
        listed.append(due_ids(at))
        return listed[-1]

    monkeypatch.setattr(sender, "_due_ids", listing)
    assert sender.send_pending(now) == 1
    assert listed == [[due], []]
    assert [m["To"] for m in smtp_server.inbox.messages] == ["person0@example.org"]


def test_a_run_that_finds_the_server_down_tries_no_other_message(smtp_server):
    ids = queue(3)
    smtp_server.stop()
    assert sender.send_pending() == 0
    assert [_row(message_id).attempts for message_id in ids] == [1, 0, 0]
