"""What a feed shows, event by event (docs/MUTATION.md, fifth run: mutants of `feed_content` and
`_feed_sessions` that every other feed test let through): the window's first day to the minute,
whose bookings count, and each event's location, skills and instructors."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ktc.calendar import operations
from ktc.database import utcnow
from ktc.extensions import db

from tests.calendar.helpers import created_feeds, feed_events as _events, parse_icalendar, session as session_

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _feeds(app, user):
    return {(link.kind, link.feed.station_id): link.feed for link in created_feeds(user)}


def test_the_window_starts_at_local_midnight_180_days_before_the_feeds_day(app, make):
    instructor = make.user("instructor")
    station = make.station(skills=[make.skill()])
    # A moment 40 days ahead: the window is counted from the `now` the feed is built for.
    now = utcnow() + timedelta(days=40)
    first_day = now.astimezone(STOCKHOLM).date() - timedelta(days=operations.FEED_PAST_DAYS)
    midnight = datetime.combine(first_day, time(0, 0), tzinfo=STOCKHOLM)
    first = make.session(station, start=midnight, title="Första dagen", instructors=[instructor])
    before = make.session(station, start=midnight - timedelta(minutes=1), hours=1, title="Dagen före",
                          instructors=[instructor])
    feeds = _feeds(app, instructor)
    for feed in (feeds[("station", station.id)], feeds[("instructor", None)]):
        events = _events(feed, now)
        assert first.uid in events
        assert before.uid not in events


def test_the_window_is_counted_in_the_configured_time_zone(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "America/New_York")
    zone = ZoneInfo("America/New_York")
    instructor = make.user("instructor")
    station = make.station(skills=[make.skill()])
    # 20:00 in New York is already the next day in Stockholm: the feed's day is New York's.
    day = (utcnow() + timedelta(days=40)).astimezone(zone).date()
    now = datetime.combine(day, time(20, 0), tzinfo=zone)
    midnight = datetime.combine(day - timedelta(days=operations.FEED_PAST_DAYS), time(0, 0), tzinfo=zone)
    first = make.session(station, start=midnight, title="Första dagen")
    before = make.session(station, start=midnight - timedelta(minutes=1), hours=1, title="Dagen före")
    events = _events(_feeds(app, instructor)[("station", station.id)], now)
    assert first.uid in events
    assert before.uid not in events


def _with_address(make, **kw):
    centre = make.centre(name="KTC Väst", address="Sjukhusvägen 1, Borås")
    return make.station(centre, name="Akutrummet", skills=kw.pop("skills", None) or [make.skill()], **kw)


def test_every_feed_kind_gives_the_location_with_its_address_and_the_sessions_notes(app, make):
    unit = make.unit()
    manager = make.manager(unit)
    instructor = make.user("instructor")
    station = _with_address(make)
    session = make.session(station, start=make.future(10), instructors=[instructor], notes="Ta med legitimation")
    participant = make.participant(unit)
    make.booking(session, participant)
    feeds = [
        *_feeds(app, make.participant_user(participant)).values(),
        *_feeds(app, manager).values(),
        _feeds(app, instructor)[("station", station.id)],
        _feeds(app, instructor)[("instructor", None)],
    ]
    for feed in feeds:
        event = _events(feed)[session.uid]
        assert str(event["LOCATION"]) == "Akutrummet, KTC Väst, Sjukhusvägen 1, Borås"
        assert str(event["DESCRIPTION"]).splitlines()[-1] == "Ta med legitimation"


def test_skills_are_listed_by_code_and_instructors_by_name_in_staff_feeds(app, make):
    bertil = make.user("instructor", name="Bertil Ek")
    anna = make.user("instructor", name="Anna Ahl")
    # Codes in the opposite order to the names and to the order the skills were made in.
    sutures = make.skill(code="B02", name="Suturering")
    airway = make.skill(code="A01", name="Luftväg")
    station = make.station(skills=[sutures, airway])
    session = make.session(station, start=make.future(10), skills=[sutures, airway], instructors=[bertil, anna])
    participant = make.participant()
    make.booking(session, participant)
    feeds = _feeds(app, bertil)
    for feed in (feeds[("station", station.id)], feeds[("instructor", None)]):
        description = str(_events(feed)[session.uid]["DESCRIPTION"])
        assert description.splitlines() == ["Instruktörer: Anna Ahl, Bertil Ek", "Luftväg, Suturering"]
    (own,) = _feeds(app, make.participant_user(participant)).values()
    # A participant's event names the skills but not the instructors.
    assert str(_events(own)[session.uid]["DESCRIPTION"]) == "Luftväg, Suturering"


def test_a_session_in_the_station_feed_lists_only_its_own_instructors_and_skills(app, make):
    anna = make.user("instructor", name="Anna Ahl")
    bertil = make.user("instructor", name="Bertil Ek")
    airway, sutures = make.skill(code="A01", name="Luftväg"), make.skill(code="B02", name="Suturering")
    station = make.station(skills=[airway, sutures])
    morning = make.session(station, start=make.future(10, hour=8), skills=[airway], instructors=[anna])
    afternoon = make.session(station, start=make.future(10, hour=13), skills=[sutures], instructors=[bertil])
    bare = make.session(station, start=make.future(11), skills=[], instructors=[])
    feeds = _feeds(app, anna)
    events = _events(feeds[("station", station.id)])
    assert str(events[morning.uid]["DESCRIPTION"]).splitlines() == ["Instruktörer: Anna Ahl", "Luftväg"]
    assert str(events[afternoon.uid]["DESCRIPTION"]).splitlines() == ["Instruktörer: Bertil Ek", "Suturering"]
    assert "DESCRIPTION" not in events[bare.uid]
    # Her own feed has her session only, with its own skill and instructor.
    own = _events(feeds[("instructor", None)])
    assert list(own) == [morning.uid]
    assert str(own[morning.uid]["DESCRIPTION"]).splitlines() == ["Instruktörer: Anna Ahl", "Luftväg"]


def test_a_feed_names_its_default_time_zone_even_when_empty(app, make):
    (feed,) = _feeds(app, make.participant_user()).values()
    text = operations.render_feed(feed)
    assert "X-WR-TIMEZONE:Europe/Stockholm\r\n" in text
    assert [str(zone["TZID"]) for zone in parse_icalendar(text).walk("VTIMEZONE")] == ["Europe/Stockholm"]


def test_a_participants_feed_leaves_out_their_cancelled_booking_and_other_peoples_bookings(app, make):
    participant = make.participant()
    kept = session_(make, start=make.future(10), title="Kvar")
    dropped = session_(make, start=make.future(11), title="Avbokad")
    others = session_(make, start=make.future(12), title="Någon annans")
    make.booking(kept, participant)
    make.booking(dropped, participant, status="cancelled")
    make.booking(others, make.participant())
    (feed,) = _feeds(app, make.participant_user(participant)).values()
    assert set(_events(feed)) == {kept.uid}


def test_another_persons_booking_in_the_same_session_leaves_my_event_as_it_was(app, make):
    session = session_(make, start=make.future(10), title="HLR")
    mine, theirs = make.participant(), make.participant()
    make.booking(session, mine)
    (feed,) = _feeds(app, make.participant_user(mine)).values()
    before = _events(feed)[session.uid]

    other = make.booking(session, theirs)
    db.session.commit()
    other.status = "cancelled"  # a change of their booking raises its revision
    db.session.commit()
    after = _events(feed)[session.uid]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"])
    assert after.decoded("DTSTAMP") == before.decoded("DTSTAMP")
    assert str(after["SUMMARY"]) == "HLR"


def test_a_unit_feed_counts_and_names_only_the_units_active_bookings(app, make):
    unit = make.unit()
    session = session_(make, start=make.future(10), title="HLR")
    make.booking(session, make.participant(unit, name="Anna Ahl"))
    make.booking(session, make.participant(unit, name="Bo Berg"), status="waitlisted")
    make.booking(session, make.participant(unit, name="Cilla Cas"), status="cancelled")
    make.booking(session, make.participant(name="Dan Utanför"))
    (feed,) = _feeds(app, make.manager(unit)).values()
    event = _events(feed)[session.uid]
    assert str(event["SUMMARY"]) == "HLR (1 från enheten)"
    assert str(event["DESCRIPTION"]).splitlines()[:2] == ["Anna Ahl", "Bo Berg (reservlista)"]
    assert "Cilla" not in str(event["DESCRIPTION"]) and "Dan" not in str(event["DESCRIPTION"])
