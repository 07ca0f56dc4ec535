"""Render an outbox event when it is sent: the e-mail and its invitation, from the booking as it is then.

A booking, cancellation or change queues one small row (ktc/mail/notify.py). What it says is
decided here, at each delivery attempt: the session's time, place, title and skills as they are
at that moment, in the recipient's language of that moment. What the change decided is kept as
it was: the kind of message, the recipient, the METHOD (a CANCEL stays a CANCEL) and SEQUENCE of
the invitation, the reason given, and DTSTAMP and Date (the moment of the change).
"""
from flask import render_template
from flask_babel import force_locale

from ktc.bookings.models import Booking
from ktc.calendar import ics
from ktc.extensions import db
from ktc.mail import notify


class NothingToRender(Exception):
    """The booking an event is about no longer exists."""


def render_event(message):
    """Fill the row's subject, bodies and calendar object from its booking; the caller commits."""
    booking = db.session.get(Booking, message.booking_id)
    if booking is None:
        raise NothingToRender(f"booking {message.booking_id} no longer exists")
    participant, session = booking.participant, booking.session
    with force_locale(notify.participant_locale(participant)):
        context = {
            "booking": booking,
            "participant": participant,
            "calendar_invitations": participant.calendar_delivery != "subscription",
            "ics_url": notify.external_url("calendar.booking_download", booking_id=booking.id),
            "reason": message.detail or "",
            **notify._session_context(session),
        }
        context["subject"] = notify._session_subject(message.kind)(context)
        message.subject = context["subject"][:300]
        message.body_text = render_template(f"emails/{message.kind}.txt", **context)
        message.body_html = render_template(f"emails/{message.kind}.html", **context)
        message.ics = None
        if message.ics_method:
            message.ics = ics.invitation(
                session, participant, message.ics_method, message.ics_sequence, dtstamp=message.created_at,
                comment=message.detail or None, reminder=ics.reminder_of(participant),
            )
    return message
