"""What the domain tells people. Operations and jobs call these; each queues outbox messages.

Every function is called inside the caller's transaction, so a message exists exactly when the
change that caused it was committed. Each message has a key made of its cause (kind, object,
moment or sequence): calling a function twice for the same change queues nothing new.

What a participant is told about their booking (booked, waiting, promoted, cancelled, moved,
reminded) is queued as an event: one small outbox row, and the sender renders the e-mail and
its invitation when it sends (ktc/mail/render.py), showing the session as it is then. Other
messages are rendered here, when they are queued.

Invitations (iMIP, RFC 6047) always use the session's UID, so an attendee's calendar keeps one
event per session. `Booking.ical_sequence` is the last SEQUENCE given to that attendee; every
new REQUEST or CANCEL gets a higher one, in the transaction of the change that causes it, and
carries it in its outbox row, so the calendar always applies the latest message whenever each
one is sent.
"""
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ktc.accounts.models import User
from ktc.bookings.models import SEAT_STATUSES
from ktc.calendar import ics
from ktc.database import utcnow
from ktc.extensions import db
from ktc.i18n import fmt_date, fmt_datetime, fmt_time, known_locale
from ktc.mail.outbox import enqueue, enqueue_event, is_queued
from ktc.urls import external_url


def participant_locale(participant):
    """The language of the participant's own login, if any; Swedish otherwise."""
    locale = db.session.execute(
        select(User.locale).where(User.participant_id == participant.id)
    ).scalar_one_or_none()
    return known_locale(locale)


SUBJECTS = {
    "booking_confirmed": lambda c: _("Booked: %(name)s, %(date)s", **c),
    "booking_waitlisted": lambda c: _("Waiting list: %(name)s, %(date)s", **c),
    "booking_promoted": lambda c: _("You got a seat: %(name)s, %(date)s", **c),
    "booking_cancelled": lambda c: _("Booking cancelled: %(name)s, %(date)s", **c),
    "session_changed": lambda c: _("Changed: %(name)s, now %(date)s", **c),
    "session_cancelled": lambda c: _("Cancelled: %(name)s, %(date)s", **c),
    "reminder": lambda c: _("Reminder: %(name)s, %(date)s", **c),
    "seats_released": lambda c: _("Free seats for everyone: %(name)s, %(date)s", **c),
    "seats_opened": lambda c: _("Open to every unit now: %(name)s, %(date)s", **c),
}


def _when(start_at, end_at, tz):
    """A day and a time span in the reader's language and the place's time zone."""
    return f"{fmt_date(start_at, 'full', tz)} {fmt_time(start_at, tz)}–{fmt_time(end_at, tz)}"


def _session_context(session):
    tz = session.station.centre.timezone
    return {
        "session": session,
        "summary": ics.summary_of(session),
        "when": _when(session.start_at, session.end_at, tz),
        "location": ics.location_of(session),
        "skills": ", ".join(skill.name for skill in session.skills),
        "tz": tz,
        "base_url": current_app.config["KTC_BASE_URL"],
        "feeds_url": external_url("calendar.feeds"),
        "cutoff_hours": current_app.config["KTC_BOOKING_CUTOFF_HOURS"],
    }


def queue_email(kind, key, recipient, locale, template, subject, context, invitation=None, ics_method=None):
    """Queue one e-mail, once per (kind, key, recipient), written in the recipient's language.

    The one way notify and ktc.notices queue their e-mails. Nothing is rendered when the message
    was queued before: `locale` and `context` may be callables, called only then. `subject(context)`
    gives the subject (in the recipient's language); `template` is the path without .txt/.html.
    `invitation`, when given, is called last and returns the calendar object's text (or None), so a
    SEQUENCE is only spent on a message that is really queued.
    """
    if not recipient or is_queued(kind, key, recipient):
        return None
    with force_locale(locale() if callable(locale) else locale):
        context = dict(context() if callable(context) else context)
        context["subject"] = subject(context)
        text = render_template(f"{template}.txt", **context)
        html = render_template(f"{template}.html", **context)
    body = invitation() if invitation is not None else None
    return enqueue(kind, key, recipient, context["subject"], text, html, ics=body, ics_method=ics_method)


def _session_subject(kind):
    def subject(context):
        return SUBJECTS[kind]({
            "name": context["summary"],
            "date": fmt_datetime(context["session"].start_at, context["tz"], "short"),
        })

    return subject


def _session_email(kind, key, to, locale, session, invitation=None, ics_method=None, **context):
    """Queue one e-mail about a session (templates/emails/<kind>) to `to`, with the session block they all show."""
    return queue_email(kind, key, to, locale, f"emails/{kind}", _session_subject(kind),
                       lambda: {**context, **_session_context(session)}, invitation, ics_method)


def _next_sequence(booking):
    """A SEQUENCE higher than anything this attendee got before, and never below the session's."""
    return _sequence_after(booking.session, booking.ical_sequence)


def _sequence_after(session, last):
    return max(session.sequence, last + 1)


def _gets_invitations(participant):
    """With a subscription only, the feed is their calendar: an invitation would put every session
    there twice, so their e-mails tell it in words alone."""
    return participant.calendar_delivery != "subscription"


def first_sequence(session, participant):
    """The SEQUENCE of the invitation that a booking confirmed as it is made will carry (0: none, the
    person has a subscription only). The booking's row is inserted with it (ktc.bookings.operations),
    so queuing the invitation (booking_confirmed with `just_inserted`) changes nothing on the row
    afterwards: no UPDATE follows the INSERT."""
    return _sequence_after(session, 0) if _gets_invitations(participant) else 0


def _to_participant(kind, booking, key, method=None, detail=None, just_inserted=False):
    """Queue one event for a booking's participant, with an invitation when `method` is given.

    One INSERT: the sender renders it (ktc/mail/render.py). The SEQUENCE is spent on the booking
    only when the row is really queued, so a second call for the same change spends nothing.
    With `just_inserted` the booking was just inserted, with its invitation's SEQUENCE already
    (first_sequence): none is spent here, and its new id cannot have been queued before, so the event
    goes with the transaction's last statement (enqueue_event's `at_commit`).
    """
    participant = booking.participant
    if not _gets_invitations(participant):
        method = None
    if method is None:
        sequence = None
    else:
        sequence = booking.ical_sequence if just_inserted else _next_sequence(booking)
    message = enqueue_event(kind, key, participant.email, booking.id, method, sequence, detail or None,
                            at_commit=just_inserted)
    if message is not None and sequence is not None and not just_inserted:
        booking.ical_sequence = sequence
    return message


def _moment(value):
    return value.isoformat() if value is not None else "-"


def _invited(booking):
    """Whether this attendee holds an invitation (a REQUEST was sent and not yet cancelled)."""
    return booking.ical_sequence > 0


def booking_confirmed(booking, just_inserted=False):
    """Booking confirmed: an e-mail with a REQUEST invitation (`just_inserted`: the booking was inserted
    confirmed by this transaction, with the invitation's SEQUENCE, see first_sequence)."""
    key = f"b{booking.id}:{_moment(booking.confirmed_at or booking.booked_at)}"
    return _to_participant("booking_confirmed", booking, key, method="REQUEST", just_inserted=just_inserted)


def booking_waitlisted(booking, reinstated_at=None, just_inserted=False):
    """On the waiting list: an e-mail, no invitation (there is no seat yet).

    A booking given back with its reinstated session (`reinstated_at`) keeps its place in the
    queue (its queued_at) and is told again: after "cancelled", silence would leave them thinking so.
    """
    key = f"b{booking.id}:{_moment(booking.queued_at or booking.booked_at)}"
    if reinstated_at is not None:
        key = f"{key}:reinstated:{_moment(reinstated_at)}"
    return _to_participant("booking_waitlisted", booking, key, just_inserted=just_inserted)


def booking_promoted(booking):
    """Promoted from the waiting list: an e-mail with a REQUEST invitation; the managers are told."""
    key = f"b{booking.id}:{_moment(booking.confirmed_at or booking.booked_at)}"
    tell_managers("promoted", f"b{booking.id}:promoted:{_moment(booking.confirmed_at)}", booking.session, [booking])
    return _to_participant("booking_promoted", booking, key, method="REQUEST")


def booking_cancelled(booking):
    """Booking cancelled: an e-mail, with a CANCEL if the attendee had an invitation."""
    key = f"b{booking.id}:{_moment(booking.cancelled_at or booking.booked_at)}"
    method = "CANCEL" if _invited(booking) else None
    return _to_participant("booking_cancelled", booking, key, method=method, detail=booking.cancel_reason)


def session_changed(session, bookings):
    """The session moved or changed station: seat holders get an update of the same event."""
    tell_managers("session_moved", f"s{session.id}:moved:{session.sequence}", session,
                  [b for b in bookings if b.status != "cancelled"])
    messages = []
    for booking in bookings:
        if booking.status == "cancelled":
            continue
        key = f"s{session.id}:{session.sequence}:b{booking.id}"
        method = "REQUEST" if booking.status in SEAT_STATUSES else None
        messages.append(_to_participant("session_changed", booking, key, method=method))
    return [m for m in messages if m is not None]


def session_cancelled(session, bookings):
    """The session is cancelled: everyone booked or waiting is told; invitations get a CANCEL."""
    tell_managers("session_cancelled", f"s{session.id}:cancelled:{session.sequence}", session,
                  [b for b in bookings if not _cancelled_before(b, session)], reason=session.cancel_reason or "")
    messages = []
    for booking in bookings:
        if _cancelled_before(booking, session):
            continue
        # With the SEQUENCE: a session reinstated and cancelled again tells people again.
        key = f"s{session.id}:cancelled:{session.sequence}:b{booking.id}"
        method = "CANCEL" if _invited(booking) else None
        messages.append(_to_participant("session_cancelled", booking, key, method=method,
                                        detail=session.cancel_reason))
    return [m for m in messages if m is not None]


def _cancelled_before(booking, session):
    """A booking cancelled earlier on its own already got its message."""
    if booking.status != "cancelled" or booking.cancelled_at is None:
        return False
    return session.cancelled_at is None or booking.cancelled_at < session.cancelled_at


def booking_no_show(booking):
    """Marked as not present: the participant's managers are told (the participant is not)."""
    cause = f"b{booking.id}:no_show:{_moment(booking.attendance_at)}"
    return tell_managers("no_show", cause, booking.session, [booking])


def tell_managers(kind, cause, session, bookings, reason=""):
    """The managers of these people's units hear of it too: see ktc/notices/operations.py."""
    from ktc.notices.operations import tell_managers as tell

    return tell(kind, cause, session, bookings, reason=reason)


def reminder(booking):
    """A reminder before the session (once per booking and start time)."""
    key = f"b{booking.id}:{_moment(booking.session.start_at)}"
    return _to_participant("reminder", booking, key)


def seats_released(session, managers):
    """The seats held for each side are now free for anyone: tell the managers who may want them."""
    release = session.start_at.timestamp() - session.release_before_hours * 3600
    return _free_seats("seats_released", f"s{session.id}:{int(release)}", session, managers)


def seats_opened(session, managers):
    """A planned session's priority window has ended with seats free: tell the managers who may want them."""
    return _free_seats("seats_opened", f"s{session.id}:opened:{int(session.priority_until.timestamp())}", session,
                       managers)


def _free_seats(kind, cause, session, managers):
    messages = []
    for manager in managers:
        if not manager.email or not manager.active:
            continue
        message = _session_email(kind, f"{cause}:u{manager.id}", manager.email, known_locale(manager.locale), session,
                                 manager=manager, book_url=external_url("bookings.team", session=session.id),
                                 seats_free=session.seats_free)
        if message is not None:
            messages.append(message)
    return messages


# --- Answers from people's calendars (ktc.calendar.replies) ---------------------------------
SUBJECTS.update({
    "booking_declined": lambda c: _("Declined in the calendar: %(name)s, %(date)s", **c),
    "booking_declined_late": lambda c: _("Declined after the cut-off: %(name)s, %(date)s", **c),
    "counter_answered": lambda c: _("The time cannot be changed: %(name)s, %(date)s", **c),
})


def _unit_managers(participant):
    from ktc.accounts.models import unit_managers

    return db.session.execute(
        select(User).join(unit_managers, unit_managers.c.user_id == User.id)
        .where(unit_managers.c.unit_id == participant.unit_id, User.active.is_(True), User.role == "manager")
        .order_by(User.id)
    ).scalars().all()


def _admins():
    return db.session.execute(
        select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id)
    ).scalars().all()


def _to_staff(kind, booking, key, users):
    """Queue one message about a booking to each of these users (managers, admins) in their language."""
    messages = []
    for user in users:
        message = _session_email(kind, key, user.email, known_locale(user.locale), booking.session,
                                 booking=booking, participant=booking.participant, recipient=user,
                                 bookings_url=external_url("bookings.team_bookings_page"))
        if message is not None:
            messages.append(message)
    return messages


def booking_declined(booking):
    """A participant declined the invitation in their calendar before the cut-off: the booking is
    cancelled (cancel_booking told the participant); their managers are told."""
    key = f"b{booking.id}:{_moment(booking.cancelled_at)}"
    return _to_staff("booking_declined", booking, key, _unit_managers(booking.participant))


def booking_declined_late(booking):
    """Declined after the cut-off: the seat is kept; the managers and KTC's admins are told."""
    key = f"b{booking.id}:{_moment(booking.replied_at)}"
    return _to_staff("booking_declined_late", booking, key, _unit_managers(booking.participant) + _admins())


def counter_answered(booking, now):
    """A proposed new time (COUNTER): a polite e-mail that KTC sets the times; nothing changes."""
    key = f"b{booking.id}:{_moment(now)}"
    return _to_participant("counter_answered", booking, key)


# --- The learning network's meetings (ktc.meetings) -----------------------------------------
# Invitations to a meeting work like those to a session: one UID per meeting, and
# `MeetingInvitation.ical_sequence` is the last SEQUENCE sent to that contact.
SUBJECTS.update({
    "meeting_invited": lambda c: _("Invitation: %(name)s, %(date)s", **c),
    "meeting_changed": lambda c: _("Changed: %(name)s, now %(date)s", **c),
    "meeting_cancelled": lambda c: _("Cancelled: %(name)s, %(date)s", **c),
    "meeting_withdrawn": lambda c: _("No longer invited: %(name)s, %(date)s", **c),
})


def _to_contact(kind, invitation, key, method):
    from ktc.meetings import ics as meeting_ics

    user, meeting = invitation.user, invitation.meeting
    tz = meeting.timezone

    def context():
        return {
            "meeting": meeting, "user": user, "base_url": current_app.config["KTC_BASE_URL"],
            "url": meeting_ics.meeting_url(meeting),
            "when": _when(meeting.start_at, meeting.end_at, tz),
        }

    def subject(_context):
        return SUBJECTS[kind]({"name": meeting.title, "date": fmt_datetime(meeting.start_at, tz, "short")})

    def calendar():
        sequence = max(meeting.sequence, invitation.ical_sequence + 1)
        body = meeting_ics.invitation(meeting, user, method, sequence, dtstamp=utcnow())
        invitation.ical_sequence = sequence
        return body

    return queue_email(kind, key, user.email, known_locale(user.locale), f"meetings/emails/{kind}", subject, context,
                       calendar, method)


def meeting_invited(invitation):
    """Invited to a network meeting: an e-mail with a REQUEST (again after a CANCEL, with a higher SEQUENCE)."""
    key = f"m{invitation.meeting_id}:u{invitation.user_id}:{invitation.ical_sequence}"
    return _to_contact("meeting_invited", invitation, key, "REQUEST")


def meeting_changed(invitation):
    """The meeting moved or changed place: an update of the same event with the meeting's SEQUENCE."""
    key = f"m{invitation.meeting_id}:{invitation.meeting.sequence}:u{invitation.user_id}"
    return _to_contact("meeting_changed", invitation, key, "REQUEST")


def meeting_cancelled(invitation):
    """The meeting is cancelled: a CANCEL of the same event."""
    key = f"m{invitation.meeting_id}:cancelled:{invitation.meeting.sequence}:u{invitation.user_id}"
    return _to_contact("meeting_cancelled", invitation, key, "CANCEL")


def meeting_withdrawn(invitation):
    """The contact's organisation left the network: a CANCEL that removes only this attendee."""
    key = f"m{invitation.meeting_id}:withdrawn:{invitation.ical_sequence}:u{invitation.user_id}"
    return _to_contact("meeting_withdrawn", invitation, key, "CANCEL")

# --- study circles (ktc/paths) ------------------------------------------------------------------

CIRCLE_SUBJECTS = {
    "circle_meeting_invited": lambda c: _("Study circle: %(name)s, %(date)s", **c),
    "circle_meeting_changed": lambda c: _("Changed: %(name)s, now %(date)s", **c),
    "circle_meeting_cancelled": lambda c: _("Cancelled: %(name)s, %(date)s", **c),
}


def _to_circle_member(kind, meeting, participant, method):
    """One e-mail with an invitation to a circle member; once per meeting, SEQUENCE and person."""
    from ktc.paths import circle_ics

    key = f"cm{meeting.id}:{meeting.sequence}:p{participant.id}"
    tz = circle_ics.meeting_tz()

    def context():
        return {
            "participant": participant, "meeting": meeting, "summary": circle_ics.summary_of(meeting),
            "when": _when(meeting.start_at, meeting.end_at, tz),
            "kind": kind, "base_url": current_app.config["KTC_BASE_URL"],
            "ics_url": external_url("paths.meeting_ics", circle_meeting_id=meeting.id),
            "paths_url": external_url("paths.mine"),
        }

    def subject(context):
        return CIRCLE_SUBJECTS[kind]({"name": context["summary"], "date": fmt_datetime(meeting.start_at, tz, "short")})

    return queue_email(kind, key, participant.email, lambda: participant_locale(participant),
                       "paths/emails/circle_meeting", subject, context,
                       lambda: circle_ics.invitation(meeting, participant, method, dtstamp=utcnow()), method)


def circle_meeting_invited(meeting, participant):
    """A planned circle meeting: an e-mail with a REQUEST invitation."""
    return _to_circle_member("circle_meeting_invited", meeting, participant, "REQUEST")


def circle_meeting_changed(meeting, participant):
    """A circle meeting moved: an update of the same event (same UID, higher SEQUENCE)."""
    return _to_circle_member("circle_meeting_changed", meeting, participant, "REQUEST")


def circle_meeting_cancelled(meeting, participant):
    """A circle meeting cancelled: a CANCEL of the event."""
    return _to_circle_member("circle_meeting_cancelled", meeting, participant, "CANCEL")
