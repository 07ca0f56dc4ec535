"""Sessions around the daylight-saving changes in Stockholm, and readers for KTC's calendar files."""
import calendar as pycalendar
from datetime import date, datetime, timedelta, timezone

import icalendar
import vobject

from flask import current_app

from ktc.calendar import operations as calendar_ops
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.mail.render import render_event
from sqlalchemy import select


def last_sunday(year, month):
    last = pycalendar.monthrange(year, month)[1]
    day = date(year, month, last)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def dst_cases():
    """(label, local date, expected UTC start) for a 09:00–11:00 session in Europe/Stockholm."""
    year = date.today().year + 1
    october = last_sunday(year, 10)
    march = last_sunday(year, 3)
    return [
        ("january", date(year, 1, 15), 8),
        ("march_after_change", march + timedelta(days=1), 7),
        ("july", date(year, 7, 15), 7),
        ("october_before_change", october - timedelta(days=2), 7),
        ("october_after_change", october + timedelta(days=1), 8),
    ]


def station(make, **kw):
    """A station with a skill (made first: the factory's default skill() flushes a half-built station)."""
    return make.station(skills=kw.pop("skills", None) or [make.skill()], **kw)


def session(make, station_=None, **kw):
    return make.session(station_ or station(make), **kw)


def make_dst_sessions(make, station_=None):
    station_ = station_ or station(make)
    sessions = []
    for label, day, utc_hour in dst_cases():
        session = make.session(station_, start=make.local(day.year, day.month, day.day, 9), title=f"HLR {label}")
        expected = datetime(day.year, day.month, day.day, utc_hour, tzinfo=timezone.utc)
        sessions.append((session, expected))
    return sessions


def outbox(kind=None):
    """The outbox's rows, each as the sender would send it now (events rendered)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return [rendered(message) for message in db.session.execute(query).scalars().all()]


def rendered(message):
    """An outbox row with its text: an event not yet rendered is rendered as the sender does it."""
    if message.is_event and message.body_text is None:
        render_event(message)
    return message


def parse_icalendar(text):
    """icalendar's reading: no parse errors, every TZID has its VTIMEZONE."""
    cal = icalendar.Calendar.from_ical(text)
    assert not cal.errors
    for component in cal.walk():
        assert not getattr(component, "errors", None), component.errors
    zones = {tz["TZID"] for tz in cal.walk("VTIMEZONE")}
    for event in cal.walk("VEVENT"):
        for name in ("DTSTART", "DTEND"):
            assert event[name].params.get("TZID") in zones
    return cal


def vobject_check(text):
    """vobject's reading, validated; returns the parsed component."""
    component = vobject.readOne(text)
    component.validate()
    return component


def strip_method(text):
    """A calendar object as a client stores it (RFC 4791: no METHOD in CalDAV resources)."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("METHOD:"))


def split_events(text):
    """One calendar object per VEVENT (with the VTIMEZONEs), as CalDAV stores them."""
    cal = icalendar.Calendar.from_ical(text)
    zones = cal.walk("VTIMEZONE")
    for event in cal.walk("VEVENT"):
        one = icalendar.Calendar()
        one.add("prodid", cal["PRODID"])
        one.add("version", "2.0")
        for zone in zones:
            one.add_component(zone)
        one.add_component(event)
        yield one.to_ical().decode("utf-8")


def caldav_roundtrip(calendar, text, expected):
    """Store each event on the CalDAV server, then check it answers a time-range query at the exact UTC start.

    Radicale rejects invalid objects with 400 (caldav raises), and computes the instants itself
    from the VTIMEZONE we wrote.
    """
    for one in split_events(strip_method(text)):
        calendar.save_event(one)
    for uid, start in expected.items():
        hits = calendar.search(start=start, end=start + timedelta(minutes=1), event=True)
        assert uid in {str(h.icalendar_component["UID"]) for h in hits}, (uid, start)
        before = calendar.search(start=start - timedelta(minutes=61), end=start - timedelta(minutes=1), event=True)
        assert uid not in {str(h.icalendar_component["UID"]) for h in before}, (uid, start)


def created_feeds(user):
    """The user's feed links as a request creates them (committed, as the request would)."""
    with current_app.test_request_context():
        links = calendar_ops.create_feeds(user)
    db.session.commit()
    return links


def created_feed(user, kind):
    """The user's one feed of that kind."""
    (link,) = [link for link in created_feeds(user) if link.kind == kind]
    return link.feed


def feed_events(feed, now=None):
    """The feed's events by session uid, as icalendar reads them."""
    cal = parse_icalendar(calendar_ops.render_feed(feed, now))
    return {str(event["UID"]).split("@")[0]: event for event in cal.walk("VEVENT")}
