"""iCalendar for study circle meetings: invitations and downloads built like the sessions' (ktc.calendar.ics).

A meeting is held at a workplace, so its LOCATION is the free text the facilitator wrote; the
VTIMEZONE, ORGANIZER and the UID domain are the sessions' own.
"""
from datetime import timezone
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, Event

from ktc.calendar import ics


def meeting_tz():
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Stockholm"


def uid_for(meeting):
    return f"circle-{meeting.uid}@{current_app.config['KTC_MAIL_DOMAIN']}"


def summary_of(meeting):
    circle = meeting.circle
    return f"{circle.name}: {meeting.topic}" if meeting.topic else circle.name


def _event(meeting, sequence, dtstamp, status, attendee=None, rsvp=True, scheduled=True):
    zone = ZoneInfo(meeting_tz())
    event = Event()
    event.add("uid", uid_for(meeting))
    event.add("dtstamp", dtstamp.astimezone(timezone.utc))
    event.add("dtstart", meeting.start_at.astimezone(zone))
    event.add("dtend", meeting.end_at.astimezone(zone))
    event.add("sequence", sequence)
    event.add("summary", summary_of(meeting))
    event.add("location", meeting.location)
    lines = [step.title for step in meeting.steps]
    if meeting.circle.facilitator is not None:
        lines.append(meeting.circle.facilitator.name)
    if lines:
        event.add("description", "\n".join(lines))
    if status:
        event.add("status", status)
    if scheduled:
        event.add("organizer", ics.organizer_address())
    if attendee is not None:
        event.add("attendee", ics.attendee_address(attendee.name, attendee.email, rsvp=rsvp))
    return event


def _calendar(method):
    cal = Calendar()
    cal.add("prodid", ics.PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(ics.vtimezone(meeting_tz()))
    return cal


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
