"""Deliver the outbox over SMTP: claim a row, send it, mark it; retry with backoff.

Any number of senders may run at once (two scheduler processes by mistake, a restart in the
middle of a run): a row is only sent by the sender whose conditional UPDATE moved it from
'pending' to 'sending', and no database transaction is held open while talking to SMTP.

Delivery is at least once. Each message is marked sent in a commit of its own the moment the
server has accepted it, so only a crash (or a lost connection) between the server's acceptance
and that commit sends it again: the row stays 'sending' and is queued again after STALE_AFTER.
The copy carries the same Message-ID, so receiving systems that de-duplicate show it once.

An event row (a booking, cancellation or change, see ktc/mail/render.py) is rendered here, at
each attempt, in the transaction that claims it; the text sent is kept on the row.

These are the deliberate commits inside a job (`ktc.database.commit_step`); the job's unit of
work commits whatever is left at its end.
"""
import logging
import smtplib
import time
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import select, update

from ktc.database import commit_step, utcnow
from ktc.extensions import db
from ktc.mail import mime, render
from ktc.mail.models import OutboxMessage

log = logging.getLogger(__name__)

# A row left in 'sending' this long belongs to a sender that died mid-send: queue it again.
STALE_AFTER = timedelta(minutes=10)
BATCH = 100


# What became of one message in a run.
SENT, FAILED, TAKEN, SERVER_DOWN = "sent", "failed", "taken", "server down"


class MailUnavailable(Exception):
    """The SMTP server could not be reached; nothing more is tried in this run."""


def backoff(attempts):
    """Delay before the next attempt: base × 2^(attempts−1), at most six hours."""
    base = current_app.config["KTC_OUTBOX_BACKOFF_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def requeue_stale(now):
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_AFTER)
        .values(status="pending", claimed_at=None)
    )
    commit_step()
    return result.rowcount


def _due_ids(now):
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(BATCH)
    )
    ids = list(db.session.execute(query).scalars())
    commit_step()
    return ids


def _claim(message_id, now):
    """Move one row from pending to sending; True only for the one sender that did it.

    On PostgreSQL a second sender's UPDATE waits for the first to commit and then re-checks
    the WHERE clause (READ COMMITTED), finding 'sending'; on SQLite BEGIN IMMEDIATE
    serialises the two. Either way exactly one sender changes the row.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
               OutboxMessage.next_attempt_at <= now)
        .values(status="sending", claimed_at=now)
    )
    return result.rowcount == 1


class SmtpConnection:
    """One SMTP connection per run, opened on first use, from KTC_MAIL_URL (smtp[s]://[user:pw@]host:port)."""

    def __init__(self, url, timeout=30):
        self.parts = urlsplit(url)
        self.timeout = timeout
        self.smtp = None

    def _open(self):
        parts = self.parts
        host = parts.hostname or "localhost"
        try:
            if parts.scheme == "smtps":
                smtp = smtplib.SMTP_SSL(host, parts.port or 465, timeout=self.timeout)
            else:
                smtp = smtplib.SMTP(host, parts.port or 25, timeout=self.timeout)
                if parts.scheme == "smtp+starttls":
                    smtp.starttls()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return smtp

    def send(self, email_message, recipient):
        if self.smtp is None:
            self.smtp = self._open()
        sender = email_message["From"]
        try:
            self.smtp.send_message(email_message, from_addr=_address(sender), to_addrs=[recipient])
        except smtplib.SMTPServerDisconnected as exc:
            self.smtp = None
            raise MailUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def _address(value):
    return parseaddr(value)[1]


def send_pending(now=None):
    """Send due messages until none is left or the run's time is up; returns the number delivered.

    A backlog goes out as fast as the server takes it: batch after batch over one connection,
    until the queue is empty, the server is down, or KTC_OUTBOX_TIME_BUDGET_SECONDS have passed
    (then the run ends and the next scheduled one carries on). Without KTC_MAIL_URL, nothing moves.
    """
    url = current_app.config.get("KTC_MAIL_URL")
    if not url:
        return 0
    now = now or utcnow()
    deadline = time.monotonic() + current_app.config["KTC_OUTBOX_TIME_BUDGET_SECONDS"]
    requeue_stale(now)
    connection = SmtpConnection(url)
    sent = 0
    try:
        while batch := _due_ids(now):
            for message_id in batch:
                outcome = _send_one(connection, message_id, now)
                if outcome == SENT:
                    sent += 1
                if outcome == SERVER_DOWN or time.monotonic() >= deadline:
                    return sent
    finally:
        connection.close()
    return sent


def _send_one(connection, message_id, now):
    """Claim, send and mark one message; SENT, FAILED, TAKEN (another sender has it) or SERVER_DOWN."""
    if not _claim(message_id, now):
        db.session.rollback()
        return TAKEN
    message = db.session.get(OutboxMessage, message_id)
    if message.is_event:
        try:
            render.render_event(message)
        except Exception as exc:  # one message that cannot be rendered must not hold up the rest of the queue
            log.exception("outbox message %s could not be rendered", message_id)
            db.session.rollback()
            _record_failure(message_id, now, f"{type(exc).__name__}: {exc}")
            return FAILED
    email_message = mime.build(message, current_app.config["KTC_MAIL_FROM"], current_app.config["KTC_MAIL_DOMAIN"])
    recipient = message.recipient
    commit_step()  # the claim (and the text rendered) is visible to every other sender before we talk SMTP
    try:
        connection.send(email_message, recipient)
    except MailUnavailable as exc:
        _record_failure(message_id, now, str(exc))
        return SERVER_DOWN  # the other rows wait for the next run
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        _record_failure(message_id, now, f"{type(exc).__name__}: {exc}")
        return FAILED
    # Accepted by the server: recorded at once, in a commit of its own (never at the end of a
    # batch), so that only a crash inside this line can make the message go out twice.
    _mark_sent(message_id)
    return SENT


def _mark_sent(message_id):
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending")
        .values(status="sent", sent_at=utcnow(), claimed_at=None, last_error=None)
    )
    commit_step()


def _record_failure(message_id, now, error):
    message = db.session.get(OutboxMessage, message_id)
    message.attempts += 1
    message.last_error = error[:2000]
    message.claimed_at = None
    if message.attempts >= current_app.config["KTC_OUTBOX_MAX_ATTEMPTS"]:
        message.status = "failed"
        log.warning("outbox message %s failed for good after %s attempts", message_id, message.attempts)
    else:
        message.status = "pending"
        message.next_attempt_at = now + backoff(message.attempts)
    commit_step()


def retry(message):
    """Put a failed (or waiting) message back at the front of the queue; admins do this."""
    if message.status not in ("failed", "pending"):
        return False
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    db.session.flush()
    return True


def retry_all_failed():
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=utcnow())
    )
    return result.rowcount
