"""What the domain tells people. Operations call these; each queues outbox messages.

Every function is called inside the operation's transaction, so a message exists exactly
when the change that caused it was committed.
"""
from flask_babel import force_locale
from flask_babel import gettext as _

from ktc.i18n import fmt_datetime
from ktc.mail.outbox import enqueue


def _when(session):
    tz = session.station.centre.timezone
    return fmt_datetime(session.start_at, tz, "full")


def _participant_message(kind, booking, key, subject, body):
    participant = booking.participant
    if not participant.email:
        return None
    return enqueue(kind, key, participant.email, subject, body)


def booking_confirmed(booking):
    session = booking.session
    with force_locale("sv"):
        subject = _("Booked: %(station)s", station=session.station.name)
        body = _("You are booked into %(station)s, %(when)s.", station=session.station.name, when=_when(session))
    return _participant_message("booking_confirmed", booking, f"{booking.id}:{booking.ical_sequence}", subject, body)


def booking_waitlisted(booking):
    session = booking.session
    with force_locale("sv"):
        subject = _("Waiting list: %(station)s", station=session.station.name)
        body = _("You are on the waiting list for %(station)s, %(when)s.", station=session.station.name, when=_when(session))
    return _participant_message("booking_waitlisted", booking, f"{booking.id}:{booking.queued_at.isoformat()}", subject, body)


def booking_promoted(booking):
    session = booking.session
    with force_locale("sv"):
        subject = _("You got a seat: %(station)s", station=session.station.name)
        body = _("A seat became free and you are now booked into %(station)s, %(when)s.",
                 station=session.station.name, when=_when(session))
    return _participant_message("booking_promoted", booking, f"{booking.id}:{booking.ical_sequence}", subject, body)


def booking_cancelled(booking):
    session = booking.session
    with force_locale("sv"):
        subject = _("Cancelled: %(station)s", station=session.station.name)
        body = _("Your booking for %(station)s, %(when)s, is cancelled.", station=session.station.name, when=_when(session))
    return _participant_message("booking_cancelled", booking, f"{booking.id}:{booking.ical_sequence}", subject, body)


def session_changed(session, bookings):
    """The session moved or changed station: every confirmed participant gets an update."""
    for booking in bookings:
        with force_locale("sv"):
            subject = _("Changed: %(station)s", station=session.station.name)
            body = _("The session has changed. New time: %(when)s.", when=_when(session))
        _participant_message("session_changed", booking, f"{booking.id}:{session.sequence}", subject, body)


def session_cancelled(session, bookings):
    for booking in bookings:
        with force_locale("sv"):
            subject = _("Cancelled: %(station)s", station=session.station.name)
            body = _("The session %(station)s, %(when)s, is cancelled.", station=session.station.name, when=_when(session))
        _participant_message("session_cancelled", booking, f"{booking.id}:{session.sequence}", subject, body)
