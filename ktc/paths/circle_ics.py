"""iCalendar for study circle meetings: invitations, downloads and feed events built with the
sessions' builder (ktc.calendar.ics).

A meeting is held at a workplace, so its LOCATION is the free text the facilitator wrote; the
VTIMEZONE, ORGANIZER and the UID domain are the sessions' own.
"""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ktc.calendar import ics
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.paths.models import CircleMeeting, StudyCircle, circle_members


def meeting_tz():
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Stockholm"


def uid_for(meeting):
    return f"circle-{meeting.uid}@{current_app.config['KTC_MAIL_DOMAIN']}"


def summary_of(meeting):
    circle = meeting.circle
    return f"{circle.name}: {meeting.topic}" if meeting.topic else circle.name


def _lines(meeting):
    lines = [step.title for step in meeting.steps]
    if meeting.circle.facilitator is not None:
        lines.append(meeting.circle.facilitator.name)
    return lines


def _event(meeting, sequence, dtstamp, status, attendee=None, rsvp=True, scheduled=True, summary=None,
           extra_lines=()):
    return ics.event(
        uid_for(meeting), meeting.start_at, meeting.end_at, meeting_tz(), sequence=sequence, dtstamp=dtstamp,
        summary=summary or summary_of(meeting), location=meeting.location,
        description="\n".join([*extra_lines, *_lines(meeting)]) or None, status=status, scheduled=scheduled,
        attendee=None if attendee is None else (attendee.name, attendee.email), rsvp=rsvp,
    )


def _calendar(method):
    return ics.calendar(method=method, tzids=[meeting_tz()])


def invitation(meeting, participant, method, dtstamp):
    """A REQUEST (new or moved meeting) or CANCEL (cancelled meeting) for one member."""
    cal = _calendar(method)
    status = "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED"
    cal.add_component(_event(meeting, meeting.sequence, dtstamp, status, attendee=participant,
                             rsvp=method == "REQUEST"))
    return cal.to_ical().decode("utf-8")


def download(meeting):
    """A .ics download of one meeting (METHOD:PUBLISH, no attendees)."""
    cal = _calendar("PUBLISH")
    status = "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED"
    cal.add_component(_event(meeting, meeting.sequence, meeting.updated_at, status, scheduled=False))
    return cal.to_ical().decode("utf-8")


def feed_events(since, *, participant_id=None, unit_id=None, facilitator_id=None):
    """The meetings a calendar feed shows, as (tzid, serialised VEVENT) pairs, soonest first.

    A member's feed shows their circles' meetings, a unit's feed the meetings its people are in
    (their names in the description, as for sessions), a facilitator's feed the circles they lead.
    Cancelled meetings drop out, as cancelled sessions do. DTSTAMP is the meeting's last change
    (the circle's name and facilitator touch it too, see ktc.paths.circles), so an unchanged feed
    stays byte-identical; which feeds a change reaches is worked out in ktc.calendar.stamps.
    """
    stmt = (select(CircleMeeting).join(StudyCircle, StudyCircle.id == CircleMeeting.circle_id)
            .where(CircleMeeting.start_at >= since, CircleMeeting.status != "cancelled")
            .order_by(CircleMeeting.start_at, CircleMeeting.id)
            .options(selectinload(CircleMeeting.steps),
                     joinedload(CircleMeeting.circle).joinedload(StudyCircle.facilitator)))
    names = {}
    if facilitator_id is not None:
        stmt = stmt.where(StudyCircle.facilitator_id == facilitator_id)
    else:
        people = (select(circle_members.c.circle_id, Participant.id, Participant.name)
                  .join(Participant, Participant.id == circle_members.c.participant_id))
        if participant_id is not None:
            people = people.where(Participant.id == participant_id)
        else:
            people = people.where(Participant.unit_id == unit_id)
        for circle_id, _pid, name in db.session.execute(people.order_by(Participant.name, Participant.id)):
            names.setdefault(circle_id, []).append(name)
        stmt = stmt.where(CircleMeeting.circle_id.in_(sorted(names) or [-1]))
    meetings = db.session.execute(stmt).scalars().all()
    events = []
    for meeting in meetings:
        options = {}
        if unit_id is not None:
            people = names[meeting.circle_id]
            options = {"summary": _("%(name)s (%(count)s from the unit)", name=summary_of(meeting), count=len(people)),
                       "extra_lines": people}
        event = _event(meeting, meeting.sequence, meeting.updated_at, "CONFIRMED", scheduled=False, **options)
        events.append((meeting_tz(), event.to_ical()))
    return events
