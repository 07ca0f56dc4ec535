"""Calendar objects for network meetings, built like the session invitations (ktc/calendar/ics.py).

The same VTIMEZONE with yearly RRULEs, the same ORGANIZER, the same rules for REQUEST and
CANCEL; a meeting has its own UID (…-meeting@domain), so it never collides with a session's.
"""
from datetime import timezone
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Event, vDuration

from ktc.calendar import ics


def uid_for(meeting):
    return f"{meeting.uid}-meeting@{current_app.config['KTC_MAIL_DOMAIN']}"


def location_of(meeting):
    return ", ".join(part for part in (meeting.place, meeting.online_url) if part)


def meeting_url(meeting):
    from ktc.mail.notify import external_url

    return external_url("meetings.detail", meeting_id=meeting.id)


def meeting_event(meeting, *, sequence, dtstamp, status=None, attendee=None, rsvp=True, scheduled=True):
    zone = ZoneInfo(meeting.timezone)
    event = Event()
    event.add("uid", uid_for(meeting))
    event.add("dtstamp", dtstamp.astimezone(timezone.utc))
    event.add("dtstart", meeting.start_at.astimezone(zone))
    event.add("dtend", meeting.end_at.astimezone(zone))
    event.add("sequence", sequence)
    event.add("summary", meeting.title)
    location = location_of(meeting)
    if location:
        event.add("location", location)
    if meeting.agenda:
        event.add("description", meeting.agenda)
    event.add("url", meeting_url(meeting))
    if status != "":
        event.add("status", status or ("CANCELLED" if meeting.status == "cancelled" else "CONFIRMED"))
    if scheduled:
        event.add("created", meeting.created_at.astimezone(timezone.utc))
        event.add("last-modified", meeting.updated_at.astimezone(timezone.utc))
        event.add("transp", "OPAQUE")
        event.add("organizer", ics.organizer_address())
    if attendee is not None:
        event.add("attendee", ics.attendee_address(*attendee, rsvp=rsvp))
    return event


def _calendar(tzid, method=None, name=None):
    # The session calendars' own builder: the same PRODID, VERSION, CALSCALE, names and VTIMEZONE.
    return ics.calendar(method=method, tzids=[tzid], name=name)


def invitation(meeting, user, method, sequence, dtstamp):
    """An iTIP REQUEST or CANCEL of the meeting for one contact (RFC 5546)."""
    cal = _calendar(meeting.timezone, method=method)
    status = "CONFIRMED" if method == "REQUEST" else ("CANCELLED" if meeting.status == "cancelled" else "")
    cal.add_component(meeting_event(meeting, sequence=sequence, dtstamp=dtstamp, status=status,
                                    attendee=(user.name, user.email), rsvp=method == "REQUEST"))
    return cal.to_ical().decode("utf-8")


def single_event(meeting):
    cal = _calendar(meeting.timezone, method="PUBLISH")
    cal.add_component(meeting_event(meeting, sequence=meeting.sequence, dtstamp=meeting.updated_at, scheduled=False))
    return cal.to_ical().decode("utf-8")


def feed(name, meetings, tzid="Europe/Stockholm"):
    """The network's meetings feed: no METHOD, no attendees; DTSTAMP is each meeting's last change."""
    cal = _calendar(tzid, name=name)
    cal.add("x-wr-timezone", tzid)
    cal.add("refresh-interval", vDuration(ics.REFRESH, params={"VALUE": "DURATION"}))
    cal.add("x-published-ttl", vDuration(ics.REFRESH))
    for meeting in meetings:
        cal.add_component(meeting_event(meeting, sequence=meeting.sequence, dtstamp=meeting.updated_at,
                                        scheduled=False))
    return cal.to_ical().decode("utf-8")
