"""iCalendar output: invitations (iMIP), single-event downloads and subscription feeds.

Every time is written as DTSTART;TZID=<centre zone> with a VTIMEZONE built from yearly RRULEs.
icalendar's add_missing_timezones() writes long RDATE lists instead, which ical.js and vobject
misread as a fixed offset and Outlook ignores; RRULE-based rules are read the same by all.
"""
import calendar as pycalendar
from datetime import date, datetime, timedelta, timezone
from email.utils import parseaddr
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vDuration, vRecur, vText

from ktc.urls import external_url

PRODID = "-//KTC//Kliniskt traningscentrum//SV"
REFRESH = timedelta(hours=1)
# The VTIMEZONE rules are read from the zone database for this year onwards.
_RULE_YEAR = 2026


def _utc(value):
    return value.astimezone(timezone.utc)


def _first_change(zone, start, end):
    """The first UTC instant in [start, end) where the zone's offset changes (None if none)."""
    offset = start.astimezone(zone).utcoffset()
    day = start
    while day < end:
        nxt = min(day + timedelta(days=1), end)
        if nxt.astimezone(zone).utcoffset() != offset:
            lo, hi = day, nxt
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == offset:
                    lo = mid
                else:
                    hi = mid
            return hi.replace(second=0, microsecond=0)
        day = nxt
    return None


def _byday(day):
    """RRULE BYDAY for a date: e.g. -1SU for the last Sunday of its month, 2SU for the second."""
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[day.weekday()]
    days_in_month = pycalendar.monthrange(day.year, day.month)[1]
    if day.day + 7 > days_in_month:
        return f"-1{weekday}"
    return f"{(day.day - 1) // 7 + 1}{weekday}"


@lru_cache(maxsize=32)
def _zone_rules(tzid):
    """(name, offset_from, offset_to, local_start, month, byday) per yearly transition, or a fixed offset."""
    zone = ZoneInfo(tzid)
    start = datetime(_RULE_YEAR, 1, 1, tzinfo=timezone.utc)
    end = datetime(_RULE_YEAR + 1, 1, 1, tzinfo=timezone.utc)
    changes = []
    cursor = start
    while True:
        instant = _first_change(zone, cursor, end)
        if instant is None:
            break
        before = (instant - timedelta(minutes=1)).astimezone(zone)
        after = instant.astimezone(zone)
        # The VTIMEZONE DTSTART is the wall-clock time in the offset in force before the change.
        local_start = (instant + before.utcoffset()).replace(tzinfo=None)
        changes.append((after.tzname(), before.utcoffset(), after.utcoffset(), local_start, bool(after.dst())))
        cursor = instant + timedelta(minutes=1)
    if not changes:
        probe = start.astimezone(zone)
        return (), (probe.tzname(), probe.utcoffset())
    return tuple(changes), None


def vtimezone(tzid):
    """A VTIMEZONE component for `tzid`, with one yearly RRULE per offset change."""
    rules, fixed = _zone_rules(tzid)
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("x-lic-location", tzid)
    if fixed is not None:
        name, offset = fixed
        std = TimezoneStandard()
        std.add("dtstart", datetime(1970, 1, 1))
        std.add("tzoffsetfrom", offset)
        std.add("tzoffsetto", offset)
        std.add("tzname", name)
        tz.add_component(std)
        return tz
    for name, offset_from, offset_to, local_start, is_dst in rules:
        part = TimezoneDaylight() if is_dst else TimezoneStandard()
        first = _first_matching_day(1970, local_start.month, _byday(local_start.date()))
        part.add("dtstart", datetime.combine(first, local_start.time()))
        part.add("tzoffsetfrom", offset_from)
        part.add("tzoffsetto", offset_to)
        part.add("tzname", name)
        part.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": local_start.month, "BYDAY": _byday(local_start.date())}))
        tz.add_component(part)
    return tz


def _first_matching_day(year, month, byday):
    """The date in year/month that an RRULE BYDAY like -1SU or 2SU picks (DTSTART must match the rule)."""
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU").index(byday[-2:])
    nth = int(byday[:-2])
    days = [d for d in range(1, pycalendar.monthrange(year, month)[1] + 1) if date(year, month, d).weekday() == weekday]
    return date(year, month, days[nth if nth < 0 else nth - 1])


def uid_for(session):
    """The stable calendar UID of a session: every message about it updates the same event."""
    return f"{session.uid}@{current_app.config['KTC_MAIL_DOMAIN']}"


def organizer_address():
    name, address = parseaddr(current_app.config["KTC_MAIL_FROM"])
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["CN"] = vText(name or "KTC")
    return organizer


def summary_of(session):
    return session.title or session.station.name


def location_of(session):
    centre = session.station.centre
    parts = [session.station.name, centre.name]
    if centre.address:
        parts.append(centre.address)
    return ", ".join(parts)


def _description(session, extra_lines=()):
    lines = list(extra_lines)
    if session.skills:
        lines.append(", ".join(skill.name for skill in session.skills))
    if session.notes:
        lines.append(session.notes)
    return "\n".join(lines)


def session_url(session):
    """The session's page in KTC (the event's URL), built without a request: jobs have none."""
    return external_url("sessions.detail", session_id=session.id)


_URL_MARKER = "918273645"


def _session_url_pattern():
    """The session page URL with a marker for the id: built once per feed, not once per event."""
    return external_url("sessions.detail", session_id=int(_URL_MARKER))


def reminder_of(participant):
    """The participant's chosen reminder before a session (a timedelta), or None."""
    minutes = participant.calendar_reminder_minutes
    return timedelta(minutes=minutes) if minutes else None


def _alarm(before, summary):
    """A VALARM that shows the event's title `before` its start (RFC 5545, 3.6.6: DISPLAY needs DESCRIPTION)."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -before)
    alarm.add("description", summary)
    return alarm


def attendee_address(name, email, rsvp):
    """The ATTENDEE of an invitation (sessions, study circles and network meetings alike)."""
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    address.params["ROLE"] = vText("REQ-PARTICIPANT")
    if rsvp:
        # Only a REQUEST asks for an answer; a CANCEL expects none (RFC 5546, 3.2.5).
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def event(uid, start_at, end_at, tzid, *, sequence, dtstamp, summary, location=None, description=None, url=None,
          comment=None, status=None, created=None, modified=None, transp=None, scheduled=True, attendee=None,
          rsvp=True, alarm=None):
    """A VEVENT in time zone `tzid`: the builder behind every KTC event (sessions, study circles, meetings).

    `scheduled` events (invitations, downloads) carry ORGANIZER; `attendee` is (name, e-mail);
    `status=None` leaves STATUS out; `alarm` (a timedelta) adds a VALARM before the start.
    """
    zone = ZoneInfo(tzid)
    component = Event()
    component.add("uid", uid)
    component.add("dtstamp", _utc(dtstamp))
    component.add("dtstart", start_at.astimezone(zone))
    component.add("dtend", end_at.astimezone(zone))
    component.add("sequence", sequence)
    component.add("summary", summary)
    if location:
        component.add("location", location)
    if description:
        component.add("description", description)
    if created is not None:
        component.add("created", _utc(created))
    if modified is not None:
        component.add("last-modified", _utc(modified))
    if url:
        component.add("url", url)
    if comment:
        component.add("comment", comment)
    if status:
        component.add("status", status)
    if transp:
        component.add("transp", transp)
    if scheduled:
        component.add("organizer", organizer_address())
    if attendee is not None:
        component.add("attendee", attendee_address(*attendee, rsvp=rsvp))
    if alarm:
        component.add_component(_alarm(alarm, summary))
    return component


def session_event(session, *, sequence, dtstamp, status=None, attendee=None, extra_lines=(),
                  summary=None, transparent=False, scheduled=True, rsvp=True, comment=None, url=None, alarm=None):
    """A VEVENT for a session in its centre's time zone.

    Feed events are not scheduling messages (`scheduled=False`): RFC 5545 (3.8.4.3) keeps ORGANIZER
    out of components that only sit in one calendar; without a METHOD, DTSTAMP already is the last
    revision (3.8.7.2), so LAST-MODIFIED and CREATED add nothing; and TRANSP is written only when
    it is not the default OPAQUE. A unit feed has thousands of events: each property costs.
    """
    # status="" leaves STATUS out: a CANCEL that removes one attendee from an event that goes on
    # must not carry STATUS:CANCELLED, which cancels the whole event (RFC 5546, 3.2.5).
    if status is None:
        status = "CANCELLED" if session.status == "cancelled" else "CONFIRMED"
    return event(
        uid_for(session), session.start_at, session.end_at, session.station.centre.timezone,
        sequence=sequence, dtstamp=dtstamp, summary=summary or summary_of(session), location=location_of(session),
        description=_description(session, extra_lines), url=url, comment=comment, status=status,
        created=session.created_at if scheduled else None, modified=session.updated_at if scheduled else None,
        transp=("TRANSPARENT" if transparent else "OPAQUE") if scheduled or transparent else None,
        scheduled=scheduled, attendee=attendee, rsvp=rsvp, alarm=alarm,
    )


def calendar(method=None, tzids=(), name=None):
    """A VCALENDAR with KTC's PRODID, an optional METHOD and NAME, and a VTIMEZONE per zone used."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
    for tzid in sorted(set(tzids)):
        cal.add_component(vtimezone(tzid))
    return cal


def invitation(session, participant, method, sequence, dtstamp, comment=None, reminder=None):
    """An iTIP REQUEST or CANCEL for one attendee (RFC 5546), as text.

    A CANCEL carries STATUS:CANCELLED only when the session itself is cancelled; cancelling one
    person's booking removes just that attendee. `comment` (the cancellation reason) goes in COMMENT;
    `reminder` (a timedelta) adds a VALARM to a REQUEST.
    """
    cal = calendar(method=method, tzids=[session.station.centre.timezone])
    if method == "CANCEL":
        status = "CANCELLED" if session.status == "cancelled" else ""
    else:
        status = "CONFIRMED"
    cal.add_component(session_event(
        session,
        sequence=sequence,
        dtstamp=dtstamp,
        status=status,
        attendee=(participant.name, participant.email),
        rsvp=method == "REQUEST",
        comment=comment or None,
        url=session_url(session),
        alarm=reminder if method == "REQUEST" else None,
    ))
    return cal.to_ical().decode("utf-8")


def single_event(session, sequence, status=None):
    """A downloadable .ics for one session or booking (METHOD:PUBLISH, no attendees)."""
    cal = calendar(method="PUBLISH", tzids=[session.station.centre.timezone])
    cal.add_component(session_event(session, sequence=sequence, dtstamp=session.updated_at, status=status))
    return cal.to_ical().decode("utf-8")


def feed_calendar(name, tzids, default_tzid):
    """The head of a subscription feed: no METHOD; its name, default zone and refresh interval."""
    cal = calendar(tzids=tzids, name=name)
    cal.add("x-wr-timezone", default_tzid)
    cal.add("refresh-interval", vDuration(REFRESH, params={"VALUE": "DURATION"}))
    cal.add("x-published-ttl", vDuration(REFRESH))
    return cal


def feed(name, entries, default_tzid, others=()):
    """A subscription feed: `entries` are (session, options) pairs; no METHOD, no attendees.

    DTSTAMP is each event's last change (options "dtstamp", "sequence"; the session's by default),
    so an unchanged feed is byte-identical. `others` are (tzid, serialised VEVENT) pairs of events
    that are not sessions (study circle meetings), appended after them.
    """
    tzids = {session.station.centre.timezone for session, _ in entries} | {tzid for tzid, _ in others}
    tzids = tzids or {default_tzid}
    cal = feed_calendar(name, tzids, default_tzid)
    # The events (serialised and cached one by one) go before icalendar's closing line.
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    config = current_app.config
    # In every UID, URL and cache key: read once per feed.
    mail = (config["KTC_MAIL_DOMAIN"], config["KTC_MAIL_FROM"], _session_url_pattern())
    events = [_feed_event(session, options, mail) for session, options in entries]
    events += [event for _tzid, event in others]
    return (head[:-len(end)] + b"".join(events) + end).decode("utf-8")


# Serialised feed events, keyed by everything an event is built from. Feeds are fetched again
# and again (every calendar client, every hour) while most events never change; serialising
# with icalendar is most of a feed's cost. The key holds every input, so a change to any of them
# is a new key (never a stale event); the cache is per process and simply emptied when full.
_EVENT_CACHE = {}
_EVENT_CACHE_MAX = 50_000


def clear_event_cache():
    _EVENT_CACHE.clear()


def _feed_event(session, options, mail):
    station = session.station
    centre = station.centre
    key = (
        mail, session.uid, session.sequence, session.updated_at, session.start_at, session.end_at,
        session.title, session.notes, session.status, station.name, centre.name, centre.address, centre.timezone,
        tuple([skill.name for skill in session.skills]),
        tuple([(name, tuple(value) if name == "extra_lines" else value) for name, value in sorted(options.items())]),
    )
    cached = _EVENT_CACHE.get(key)
    if cached is None:
        if len(_EVENT_CACHE) >= _EVENT_CACHE_MAX:
            _EVENT_CACHE.clear()
        options = {"sequence": session.sequence, "dtstamp": session.updated_at, **options}
        cached = _EVENT_CACHE[key] = session_event(
            session, scheduled=False, url=mail[2].replace(_URL_MARKER, str(session.id)), **options
        ).to_ical()
    return cached
