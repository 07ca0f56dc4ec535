"""The calendar's scheduled job: read the answers people's calendars send to KTC (KTC_IMAP_URL)."""
import logging
import os
import secrets
import socket
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from ktc.calendar import replies
from ktc.calendar.imap import Mailbox
from ktc.calendar.models import MailboxLease
from ktc.database import commit_step, savepoint, utcnow
from ktc.extensions import db

log = logging.getLogger(__name__)


def read_calendar_replies(now=None):
    """Claim new messages in the organizer's mailbox, handle each once, file it away.

    Each message is its own transaction (`commit_step`, a deliberate commit inside the job): its
    record (unique by Message-ID) and the booking change it causes are committed together, and
    only then is the message moved to the processed or rejected folder. A message found in the processing folder (left by a stopped run, or being
    handled by a second process) is handled again: if it is recorded already, the unique key
    refuses the second record, nothing changes, and the message is just filed as recorded.
    Only one process reads the mailbox at a time (see `MailboxLease`); another one finds it busy
    and returns 0. Returns how many messages were filed, or None without KTC_IMAP_URL.
    """
    if not current_app.config.get("KTC_IMAP_URL"):
        return None
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:80]
    if not _take_lease(holder):
        log.info("another process is reading the calendar mailbox")
        return 0
    filed = 0
    try:
        with Mailbox() as mailbox:
            mailbox.claim_new()
            for uid, raw in list(mailbox.processing_messages()):
                try:
                    rejected = _handle(raw, now, holder)
                except LeaseLost:
                    log.warning("the calendar mailbox lease ran out and another process took it; stopping")
                    break
                if rejected is None:
                    continue  # recorded by a process whose lease ran out meanwhile; it files it
                mailbox.file(uid, rejected)
                filed += 1
    finally:
        _give_back_lease(holder)
    return filed


LEASE = "calendar-replies"


def _lease_until():
    return utcnow() + timedelta(seconds=current_app.config["KTC_IMAP_LEASE_SECONDS"])


def _take_lease(holder):
    """Take the mailbox if nobody holds it (or their lease ran out); one conditional UPDATE, committed."""
    now = utcnow()
    if db.session.get(MailboxLease, LEASE) is None:
        try:
            with savepoint():
                db.session.add(MailboxLease(name=LEASE))
        except IntegrityError:
            pass  # another process made the row at the same moment
    taken = db.session.execute(
        update(MailboxLease)
        .where(MailboxLease.name == LEASE, or_(MailboxLease.expires_at.is_(None), MailboxLease.expires_at < now))
        .values(holder=holder, expires_at=_lease_until())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    commit_step()
    return taken


class LeaseLost(Exception):
    """Another process holds the mailbox now (ours ran out): this one must stop reading it."""


def _renew_lease(holder):
    """Renew the lease in the message's transaction; LeaseLost if another process took it meanwhile.

    The renewal is a conditional UPDATE on the holder, committed with the message's changes: a
    process whose lease ran out commits nothing more (the new holder handles the message).
    """
    if not current_app.config.get("KTC_LEASE_GUARD", True):
        return  # only for the race test's negative control: renew blindly, as before the guard
    renewed = db.session.execute(
        update(MailboxLease).where(MailboxLease.name == LEASE, MailboxLease.holder == holder)
        .values(expires_at=_lease_until()).execution_options(synchronize_session=False)
    ).rowcount
    if renewed != 1:
        raise LeaseLost()


def _give_back_lease(holder):
    db.session.rollback()
    db.session.execute(
        update(MailboxLease).where(MailboxLease.name == LEASE, MailboxLease.holder == holder)
        .values(holder=None, expires_at=None).execution_options(synchronize_session=False)
    )
    commit_step()


def _handle(raw, now, holder):
    """Handle and commit one message; whether it was set aside (None: not known yet)."""
    try:
        result = replies.handle_message(raw, now)
        _renew_lease(holder)
        commit_step()
        return result.rejected
    except LeaseLost:
        db.session.rollback()
        raise
    except IntegrityError:
        db.session.rollback()
    except Exception:
        # A message KTC cannot handle must never stop the others nor leave half a change.
        db.session.rollback()
        log.exception("calendar reply could not be handled; it is set aside")
        try:
            replies.reject_unreadable(raw, "error", now)
            commit_step()
            return True
        except IntegrityError:
            db.session.rollback()
    record = _recorded(raw)
    return None if record is None else record.outcome == "rejected"


def _recorded(raw):
    from email import message_from_bytes

    return replies.recorded(replies.message_key(raw, message_from_bytes(raw)))


JOBS = [
    # Runs only when KTC_IMAP_URL is set (see ktc.scheduler.build_scheduler).
    {"id": "calendar.read_replies", "func": read_calendar_replies, "trigger": "interval", "minutes": 2,
     "requires": "KTC_IMAP_URL"},
]
