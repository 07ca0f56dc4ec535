"""SEQUENCE and DTSTAMP of feed events and the STATUS of `.ics` downloads, exactly (docs/MUTATION.md,
fifth run: mutants of `_revision`, `_booking_revisions`, `booking_ics` and `session_ics`).

A feed event's SEQUENCE is the session's sequence + its feed revision + the revisions of the bookings
the feed shows it for (cancelled ones included, so that it never goes down); its DTSTAMP the latest of
the session's and those bookings' changes."""
from datetime import timedelta

from ktc.calendar import operations
from ktc.database import utcnow
from ktc.extensions import db

from tests.calendar.helpers import created_feed, feed_events, parse_icalendar, session as session_

T0 = (utcnow() - timedelta(days=3)).replace(microsecond=0)
T1, T2, T3 = T0 + timedelta(hours=1), T0 + timedelta(hours=2), T0 + timedelta(hours=3)


def _revision(feed, session):
    event = feed_events(feed)[session.uid]
    return int(event["SEQUENCE"]), event.decoded("DTSTAMP")


def test_each_feed_adds_the_revisions_of_the_bookings_it_shows_and_only_those(app, make):
    unit, other_unit = make.unit(), make.unit()
    instructor = make.user("instructor")
    session = session_(make, start=make.future(20), instructors=[instructor], sequence=2, feed_revision=3,
                       updated_at=T1)
    anna = make.participant(unit)
    make.booking(session, anna, feed_revision=0, feed_revised_at=T0)
    make.booking(session, make.participant(unit), feed_revision=4, feed_revised_at=T2)
    make.booking(session, make.participant(unit), status="cancelled", feed_revision=2, feed_revised_at=T0)
    make.booking(session, make.participant(other_unit), feed_revision=7, feed_revised_at=T3)
    # Another session in the same feeds: its bookings' revisions are its own.
    later = session_(make, start=make.future(21), instructors=[instructor], updated_at=T1)
    make.booking(later, anna, feed_revision=5, feed_revised_at=T3)
    db.session.commit()

    assert _revision(created_feed(make.manager(unit), "unit"), session) == (2 + 3 + 0 + 4 + 2, T2)
    annas = created_feed(make.participant_user(anna), "participant")
    assert _revision(annas, session) == (2 + 3 + 0, T1)
    assert _revision(created_feed(instructor, "instructor"), session) == (2 + 3, T1)
    assert _revision(created_feed(make.manager(other_unit), "unit"), session) == (2 + 3 + 7, T3)
    assert _revision(annas, later) == (0 + 0 + 5, T3)


def _download(booking):
    cal = parse_icalendar(operations.booking_ics(booking))
    (event,) = cal.walk("VEVENT")
    return str(cal["METHOD"]), int(event["SEQUENCE"]), str(event["STATUS"])


def test_a_booking_download_says_where_the_booking_stands_at_the_attendees_sequence(make):
    session = session_(make, start=make.future(20), sequence=2)
    confirmed = make.booking(session, make.participant(), ical_sequence=5)
    waiting = make.booking(session, make.participant(), status="waitlisted", ical_sequence=1)
    cancelled = make.booking(session, make.participant(), status="cancelled", ical_sequence=3)
    assert _download(confirmed) == ("PUBLISH", 5, "CONFIRMED")
    assert _download(waiting) == ("PUBLISH", 2, "TENTATIVE")
    assert _download(cancelled) == ("PUBLISH", 3, "CANCELLED")

    # A cancelled session cancels every booking's event, whatever the booking's own status.
    session.status = "cancelled"
    db.session.flush()
    assert _download(confirmed)[2] == "CANCELLED"
    assert _download(waiting)[2] == "CANCELLED"


def test_a_session_download_carries_the_sessions_sequence_and_status(make):
    session = session_(make, start=make.future(20), sequence=4)
    cal = parse_icalendar(operations.session_ics(session))
    (event,) = cal.walk("VEVENT")
    assert (str(cal["METHOD"]), int(event["SEQUENCE"]), str(event["STATUS"])) == ("PUBLISH", 4, "CONFIRMED")
