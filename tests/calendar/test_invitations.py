"""Invitations (iMIP): the same event is requested, updated and cancelled, in real parsers."""
from datetime import timedelta, timezone

from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail import notify

from tests.calendar.helpers import (
    caldav_roundtrip,
    make_dst_sessions,
    outbox,
    session as session_,
    parse_icalendar,
    vobject_check,
)


def _confirm(make, session, **kw):
    participant = make.participant(**kw)
    booking = make.booking(session, participant)
    booking.confirmed_at = utcnow()
    notify.booking_confirmed(booking)
    db.session.flush()
    return booking


def test_invitations_give_the_right_utc_instants_in_every_parser(make, icaljs, caldav_calendar):
    sessions = make_dst_sessions(make)
    for session, _ in sessions:
        _confirm(make, session)
    messages = outbox("booking_confirmed")
    assert len(messages) == len(sessions)
    expected = {}
    for message, (session, start) in zip(messages, sessions):
        assert message.ics_method == "REQUEST"
        cal = parse_icalendar(message.ics)
        assert str(cal["METHOD"]) == "REQUEST"
        event = cal.walk("VEVENT")[0]
        uid = f"{session.uid}@ktc.example.org"
        assert str(event["UID"]) == uid
        assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
        assert event.decoded("DTSTART").astimezone(timezone.utc) == start
        assert event.decoded("DTEND").astimezone(timezone.utc) == start + timedelta(hours=2)
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert str(event["ORGANIZER"]) == "mailto:ktc@localhost"
        attendee = event["ATTENDEE"]
        assert str(attendee) == f"mailto:{session.bookings[0].participant.email}"
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"
        vevent = vobject_check(message.ics).vevent
        assert vevent.dtstart.value.astimezone(timezone.utc) == start
        read = icaljs(message.ics)
        assert read["method"] == "REQUEST"
        assert read["events"][0]["uid"] == uid
        assert read["events"][0]["start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
        caldav_roundtrip(caldav_calendar, message.ics, {uid: start})
        expected[uid] = start


def test_vtimezone_is_built_from_yearly_rules(make):
    session = make_dst_sessions(make)[0][0]
    _confirm(make, session)
    cal = parse_icalendar(outbox()[0].ics)
    (zone,) = cal.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Stockholm"
    rules = {part.name: part for part in zone.subcomponents}
    assert rules["DAYLIGHT"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert rules["STANDARD"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert "RDATE" not in rules["DAYLIGHT"] and "RDATE" not in rules["STANDARD"]
    assert rules["DAYLIGHT"]["TZOFFSETTO"].to_ical() == "+0200"
    assert rules["STANDARD"]["TZOFFSETTO"].to_ical() == "+0100"


def test_book_move_cancel_rebook_keeps_one_uid_with_rising_sequence(make, icaljs):
    session = session_(make, start=make.future(20))
    booking = _confirm(make, session)

    session.start_at += timedelta(days=1)
    session.end_at += timedelta(days=1)
    session.sequence += 1
    session.updated_at = utcnow()
    notify.session_changed(session, [booking])

    booking.status = "cancelled"
    booking.cancelled_at = utcnow()
    notify.booking_cancelled(booking)

    booking.status = "confirmed"
    booking.confirmed_at = utcnow() + timedelta(seconds=1)
    notify.booking_confirmed(booking)
    db.session.flush()

    messages = outbox()
    assert [m.kind for m in messages] == ["booking_confirmed", "session_changed", "booking_cancelled",
                                          "booking_confirmed"]
    assert [m.ics_method for m in messages] == ["REQUEST", "REQUEST", "CANCEL", "REQUEST"]
    reads = [icaljs(m.ics) for m in messages]
    assert [r["method"] for r in reads] == ["REQUEST", "REQUEST", "CANCEL", "REQUEST"]
    assert len({r["events"][0]["uid"] for r in reads}) == 1
    sequences = [r["events"][0]["sequence"] for r in reads]
    assert sequences == sorted(set(sequences)), sequences
    # One person's booking is cancelled, not the session: the CANCEL removes only that attendee.
    assert reads[2]["events"][0]["status"] != "CANCELLED"
    assert reads[1]["events"][0]["start"] == session.start_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert booking.ical_sequence == sequences[-1]


def test_session_cancelled_sends_cancel_to_attendees_and_a_note_to_the_waiting_list(make, icaljs):
    session = session_(make, start=make.future(20), capacity=1)
    booked = _confirm(make, session)
    waiting = make.booking(session, make.participant(), status="waitlisted")
    session.status = "cancelled"
    session.cancelled_at = utcnow()
    session.cancel_reason = "Instruktören är sjuk"
    session.sequence += 1
    for booking in (booked, waiting):
        booking.status = "cancelled"
        booking.cancelled_at = session.cancelled_at
    notify.session_cancelled(session, [booked, waiting])
    db.session.flush()
    cancels = outbox("session_cancelled")
    assert [(m.recipient, m.ics_method) for m in cancels] == [
        (booked.participant.email, "CANCEL"), (waiting.participant.email, None)]
    read = icaljs(cancels[0].ics)["events"][0]
    assert read["status"] == "CANCELLED"
    assert read["sequence"] > icaljs(outbox("booking_confirmed")[0].ics)["events"][0]["sequence"]
    assert "Instruktören är sjuk" in cancels[0].body_text


def test_a_repeated_call_queues_nothing_twice_and_keeps_the_sequence(make):
    session = session_(make, start=make.future(20))
    booking = _confirm(make, session)
    sequence = booking.ical_sequence
    assert notify.booking_confirmed(booking) is None
    notify.session_changed(session, [booking])
    notify.session_changed(session, [booking])
    db.session.flush()
    assert len(outbox("booking_confirmed")) == 1
    assert len(outbox("session_changed")) == 1
    assert booking.ical_sequence == sequence + 1


def test_waitlisted_gets_no_invitation_and_promotion_gets_one(make):
    session = session_(make, start=make.future(20))
    booking = make.booking(session, make.participant(), status="waitlisted", queued_at=utcnow())
    notify.booking_waitlisted(booking)
    booking.status = "confirmed"
    booking.confirmed_at = utcnow()
    notify.booking_promoted(booking)
    db.session.flush()
    waitlisted, promoted = outbox()
    assert waitlisted.ics is None and waitlisted.kind == "booking_waitlisted"
    assert promoted.ics_method == "REQUEST" and promoted.kind == "booking_promoted"


def test_participant_without_email_gets_nothing(make):
    session = session_(make, start=make.future(20))
    booking = make.booking(session, make.participant(email=None))
    assert notify.booking_confirmed(booking) is None
    assert outbox() == []
    assert booking.ical_sequence == 0
