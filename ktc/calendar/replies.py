"""Answers from people's calendars: iTIP REPLY and COUNTER (RFC 5546) read from e-mail (RFC 6047).

A reply is matched by its UID to the session and by its ATTENDEE to the booking, and is believed
only when the e-mail comes from that attendee's own address: nobody declines for someone else.
Anything else (not a calendar, unreadable, an unknown event or person, an answer to an older
version of the invitation) is set aside with a reason and logged; it never changes a booking.

`handle_message` records the message under its Message-ID (unique) first, then changes the booking,
in the caller's transaction: the caller commits once, so a message changes a booking exactly once
even when two processes read it at the same time or a process stops half-way.
"""
import hashlib
import logging
from dataclasses import dataclass
from email import message_from_bytes
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar
from sqlalchemy import func, select

from ktc.accounts.models import User
from ktc.bookings.models import Booking
from ktc.calendar.models import CalendarReply
from ktc.database import savepoint, utcnow
from ktc.errors import BookingClosed, DomainError
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.sessions.models import Session

log = logging.getLogger(__name__)

CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")
ANSWERS = {"ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined"}


@dataclass
class Outcome:
    """What a message did: `applied`, `unchanged` or `rejected` (set aside), with a reason code."""

    outcome: str
    reason: str = ""
    booking: Booking | None = None
    partstat: str = ""

    @property
    def rejected(self):
        return self.outcome == "rejected"


class ParticipantActor:
    """The participant, acting through their own calendar, for a participant without a login.

    It passes exactly the participant's own rights (policy.can_cancel_booking: own bookings only).
    """

    is_authenticated = True
    is_active = True
    role = "participant"
    id = None

    def __init__(self, participant_id):
        self.participant_id = participant_id


def message_key(raw, message):
    """The message's identity: its Message-ID, or a hash of the whole message when it has none."""
    message_id = " ".join(str(message.get("Message-ID", "") or "").split())
    if message_id and len(message_id) <= 200:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def recorded(key):
    """The stored record of an already handled message, or None."""
    return db.session.execute(select(CalendarReply).where(CalendarReply.message_key == key)).scalar_one_or_none()


def _calendar_parts(message):
    """(method from the Content-Type, text) of each calendar part, text/calendar first.

    Outlook sends the calendar base64-encoded next to a winmail.dat, Gmail as text/calendar plus an
    application/ics attachment, Apple Mail quoted-printable; some put the METHOD only in the
    Content-Type. Parts that are not calendars (TNEF, HTML, images) are skipped.
    """
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if ctype not in CALENDAR_TYPES and not (filename.endswith(".ics") and ctype == "application/octet-stream"):
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:
            text = payload.decode("utf-8", errors="replace")
        parts.append((ctype != "text/calendar", (part.get_param("method") or "").upper(), text))
    return [(method, text) for _rank, method, text in sorted(parts, key=lambda p: p[0])]


def _address(value):
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _attendees(event):
    value = event.get("ATTENDEE")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _session_for(uid):
    domain = current_app.config["KTC_MAIL_DOMAIN"].lower()
    local, _at, host = uid.rpartition("@")
    if not local or host.lower() != domain:
        return None
    return db.session.execute(select(Session).where(Session.uid == local)).scalar_one_or_none()


def _booking_for(session, address):
    return db.session.execute(
        select(Booking).join(Participant, Participant.id == Booking.participant_id)
        .where(Booking.session_id == session.id, func.lower(Participant.email) == address)
        .order_by(Booking.id)
    ).scalars().first()


def _actor_for(participant):
    """The participant's own login if they have one, otherwise the participant as a system actor."""
    user = db.session.execute(
        select(User).where(User.participant_id == participant.id, User.role == "participant")
    ).scalars().first()
    return user or ParticipantActor(participant.id)


def handle_message(raw, now=None):
    """Record one e-mail from the organizer's mailbox and apply it; returns its Outcome. Flushes, never commits.

    The CalendarReply row is flushed first: if another process recorded the same message, the
    flush fails with IntegrityError (the caller rolls back and files the message as recorded).
    """
    now = now or utcnow()
    message = message_from_bytes(raw)
    key = message_key(raw, message)
    sender = parseaddr(str(message.get("From", "") or ""))[1].lower()
    record = CalendarReply(message_key=key, received_at=now, sender=sender[:254], outcome="rejected")
    db.session.add(record)
    db.session.flush()
    result = _apply(message, sender, record, now)
    record.outcome, record.reason = result.outcome, result.reason
    record.partstat = result.partstat[:20]
    record.booking_id = result.booking.id if result.booking is not None else None
    if result.rejected:
        log.warning("calendar reply %s from %s set aside: %s", key, sender or "?", result.reason)
    else:
        log.info("calendar reply %s from %s: %s %s", key, sender, result.outcome, result.reason)
    db.session.flush()
    return result


def reject_unreadable(raw, reason, now=None):
    """Record a message that could not be handled at all (the handler failed), so it is set aside once."""
    message = message_from_bytes(raw)
    key = message_key(raw, message)
    sender = parseaddr(str(message.get("From", "") or ""))[1].lower()
    record = CalendarReply(message_key=key, received_at=now or utcnow(), sender=sender[:254], outcome="rejected",
                           reason=reason[:40])
    db.session.add(record)
    db.session.flush()
    return record


def _apply(message, sender, record, now):
    parts = _calendar_parts(message)
    if not parts:
        return Outcome("rejected", "not_calendar")
    content_method, text = parts[0]
    try:
        calendar = Calendar.from_ical(text)
        events = [event for event in calendar.walk("VEVENT") if event.get("UID")]
    except Exception:  # icalendar raises ValueError, KeyError, IndexError… on broken input
        return Outcome("rejected", "malformed")
    method = str(calendar.get("METHOD") or content_method or "").strip().upper()
    record.method = method[:20]
    if not events:
        return Outcome("rejected", "malformed")
    event = events[0]
    uid = str(event.get("UID"))
    record.event_uid = uid[:255]
    if method not in ("REPLY", "COUNTER"):
        return Outcome("rejected", "unsupported_method")
    if not sender:
        return Outcome("rejected", "no_sender")
    session = _session_for(uid)
    meeting = None
    if session is None:
        from ktc.meetings.replies import meeting_for

        meeting = meeting_for(uid)
        if meeting is None:
            return Outcome("rejected", "unknown_uid")
    attendees = _attendees(event)
    # Only the sender's own answer counts: the attendee in the reply must be the From address.
    mine = [attendee for attendee in attendees if _address(attendee) == sender]
    if not mine:
        return Outcome("rejected", "not_from_attendee" if attendees else "no_attendee")
    attendee = mine[0]
    if meeting is not None:
        return _meeting_reply(meeting, sender, attendee, event, method, now)
    booking = _booking_for(session, sender)
    if booking is None or booking.ical_sequence == 0:
        return Outcome("rejected", "unknown_attendee")
    try:
        sequence = int(event.get("SEQUENCE")) if event.get("SEQUENCE") is not None else None
    except (TypeError, ValueError):
        return Outcome("rejected", "malformed", booking)
    # An answer to an older version of the invitation (before the session moved) says nothing
    # about the current one. Replies without SEQUENCE are taken as answers to the current one.
    if sequence is not None and sequence < booking.ical_sequence:
        return Outcome("rejected", "stale_sequence", booking)
    partstat = str(attendee.params.get("PARTSTAT", "") if hasattr(attendee, "params") else "").strip().upper()
    if method == "COUNTER":
        return _answer_counter(booking, now)
    answer = ANSWERS.get(partstat)
    if answer is None:
        return Outcome("rejected", "unsupported_partstat", booking, partstat)
    if booking.status not in ("confirmed", "waitlisted"):
        return Outcome("unchanged", "booking_not_active", booking, partstat)
    if answer == "declined":
        return _decline(booking, now, partstat)
    if booking.calendar_reply == answer:
        return Outcome("unchanged", "same_answer", booking, partstat)
    booking.reply_status, booking.replied_at = answer, now
    return Outcome("applied", answer, booking, partstat)


def _decline(booking, now, partstat):
    """Before the cut-off the booking is cancelled as if the participant cancelled it; after it the
    seat is kept, the booking is marked declined late and the managers and KTC are told."""
    from ktc.bookings.operations import cancel_booking, cutoff_at
    from ktc.mail import notify

    if now < cutoff_at(booking.session):
        try:
            with savepoint():
                cancel_booking(_actor_for(booking.participant), booking,
                               reason=_("Declined in the calendar"), now=now)
        except BookingClosed:
            pass  # the cut-off passed while the booking was locked: a late decline after all
        except DomainError as exc:
            return Outcome("unchanged", getattr(exc, "code", "conflict")[:40], booking, partstat)
        else:
            notify.booking_declined(booking)
            return Outcome("applied", "cancelled", booking, partstat)
    if booking.calendar_reply == "declined_late":
        return Outcome("unchanged", "same_answer", booking, partstat)
    booking.reply_status, booking.replied_at = "declined_late", now
    notify.booking_declined_late(booking)
    return Outcome("applied", "declined_late", booking, partstat)


def _answer_counter(booking, now):
    """A proposed new time: times are set by KTC, so the attendee gets a polite answer and nothing changes."""
    from ktc.mail import notify

    notify.counter_answered(booking, now)
    return Outcome("unchanged", "counter_answered", booking, "")


def _meeting_reply(meeting, sender, attendee, event, method, now):
    """A network meeting's invitation answered: the answer is recorded (see ktc/meetings/replies.py)."""
    from ktc.meetings.replies import apply_reply

    if method != "REPLY":
        return Outcome("rejected", "unsupported_method")
    try:
        sequence = int(event.get("SEQUENCE")) if event.get("SEQUENCE") is not None else None
    except (TypeError, ValueError):
        return Outcome("rejected", "malformed")
    partstat = str(attendee.params.get("PARTSTAT", "") if hasattr(attendee, "params") else "").strip().upper()
    outcome, reason = apply_reply(meeting, sender, attendee, sequence, partstat, now)
    return Outcome(outcome, reason, None, partstat)
