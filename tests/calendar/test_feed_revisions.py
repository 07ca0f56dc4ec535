"""A feed event's SEQUENCE and DTSTAMP rise whenever what it shows changes (issue 14): a client that
compares revisions must not keep the stale event."""
from datetime import timedelta

from ktc.bookings.operations import book_team, cancel_booking
from ktc.calendar import operations, stamps
from ktc.database import utcnow
from ktc.extensions import db
from ktc.sessions.operations import move_session, update_session

from tests.calendar.helpers import created_feed, feed_events, session as session_

PAST = utcnow() - timedelta(days=2)


def _event(feed, session):
    """(SEQUENCE, DTSTAMP, SUMMARY, STATUS) of the session's event in the feed as it reads now."""
    event = feed_events(feed)[session.uid]
    return int(event["SEQUENCE"]), event.decoded("DTSTAMP"), str(event["SUMMARY"]), str(event.get("STATUS", ""))


def _later(monkeypatch, minutes=5):
    moment = utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr(stamps, "utcnow", lambda: moment)
    return moment


def test_promotion_from_the_waiting_list_raises_sequence_and_dtstamp(app, make, monkeypatch):
    session = session_(make, start=make.future(20), capacity=1, title="HLR")
    admin = make.user("admin")
    seated, waiting = make.participant(), make.participant()
    user = make.participant_user(waiting)
    (first,) = book_team(admin, session, [seated])
    (second,) = book_team(admin, session, [waiting])
    assert second.booking.status == "waitlisted"
    feed = created_feed(user, "participant")
    sequence, dtstamp, summary, _status = _event(feed, session)
    assert summary != "HLR"  # the waiting list's title

    moment = _later(monkeypatch)
    cancel_booking(admin, first.booking)
    db.session.commit()
    assert second.booking.status == "confirmed"
    after_sequence, after_dtstamp, after_summary, after_status = _event(feed, session)
    assert after_summary == "HLR" and after_summary != summary
    assert after_sequence > sequence
    assert after_dtstamp > dtstamp and after_dtstamp == moment.replace(microsecond=0)


def test_cancelling_one_booking_changes_the_units_event_with_a_higher_sequence(app, make, monkeypatch):
    session = session_(make, start=make.future(20), title="HLR")
    admin = make.user("admin")
    unit = make.unit()
    anna, bo = make.participant(unit), make.participant(unit)
    results = book_team(admin, session, [anna, bo])
    feed = created_feed(make.manager(unit), "unit")
    sequence, dtstamp, summary, _status = _event(feed, session)
    assert "2" in summary

    _later(monkeypatch)
    cancel_booking(admin, results[0].booking)
    db.session.commit()
    after_sequence, after_dtstamp, after_summary, _status = _event(feed, session)
    assert "1" in after_summary
    assert after_sequence > sequence and after_dtstamp > dtstamp


def test_a_new_title_raises_sequence_and_dtstamp_in_staff_feeds(app, make):
    instructor = make.user("instructor")
    session = session_(make, start=make.future(20), title="HLR", instructors=[instructor], updated_at=PAST)
    feed = created_feed(instructor, "instructor")
    sequence, dtstamp, _summary, _status = _event(feed, session)

    update_session(make.user("admin"), session, title="HLR vuxen")
    db.session.commit()
    after_sequence, after_dtstamp, after_summary, _status = _event(feed, session)
    assert after_summary == "HLR vuxen"
    assert after_sequence > sequence and after_dtstamp > dtstamp


def test_a_moved_session_raises_sequence_and_dtstamp_in_the_participants_feed(app, make):
    session = session_(make, start=make.future(20), updated_at=PAST)
    participant = make.participant()
    make.booking(session, participant, feed_revised_at=PAST)
    feed = created_feed(make.participant_user(participant), "participant")
    sequence, dtstamp, _summary, _status = _event(feed, session)

    move_session(make.user("admin"), session, session.start_at + timedelta(hours=2), session.end_at + timedelta(hours=2))
    db.session.commit()
    after_sequence, after_dtstamp, _summary, _status = _event(feed, session)
    assert after_sequence > sequence and after_dtstamp > dtstamp


def test_an_unchanged_feed_keeps_its_revisions(app, make):
    session = session_(make, start=make.future(20))
    participant = make.participant()
    make.booking(session, participant)
    feed = created_feed(make.participant_user(participant), "participant")
    first = operations.render_feed(feed)
    operations.clear_caches()
    assert operations.render_feed(feed) == first
