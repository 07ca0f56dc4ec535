"""A participant's calendar settings and the per-feed options of events (docs/MUTATION.md, fifth run:
mutants of `save_calendar_settings`, `calendar_settings_owner`, `_participant_options` and
`_unit_options`)."""
from datetime import timedelta

import pytest

from ktc.calendar import operations
from ktc.errors import PermissionDenied, ValidationError

from tests.calendar.helpers import created_feeds, feed_events, session as session_


def test_every_setting_offered_is_saved_and_nothing_else(make):
    user = make.participant_user()
    for delivery in operations.DELIVERIES:
        for reminder in (None, *operations.REMINDER_MINUTES):
            participant = operations.save_calendar_settings(user, delivery, reminder)
            assert (participant.calendar_delivery, participant.calendar_reminder_minutes) == (delivery, reminder)
    for delivery, reminder in (("fax", 60), ("both", 5), ("fax", None), ("", 1440)):
        with pytest.raises(ValidationError):
            operations.save_calendar_settings(user, delivery, reminder)
    assert (participant.calendar_delivery, participant.calendar_reminder_minutes) == ("both", 1440)


def test_only_a_participant_login_with_a_staff_record_has_calendar_settings(make):
    participant = make.participant()
    assert operations.calendar_settings_owner(make.participant_user(participant)) == participant
    for user in (make.user("participant"), make.user("instructor"), make.manager(make.unit()), make.user("admin")):
        assert operations.calendar_settings_owner(user) is None
        with pytest.raises(PermissionDenied):
            operations.save_calendar_settings(user, "both", None)
    # A staff login that still points at a participant is not one.
    linked_admin = make.user("admin", participant=make.participant())
    assert operations.calendar_settings_owner(linked_admin) is None


def _events(app, user):
    (link,) = created_feeds(user)
    return feed_events(link.feed)


def test_a_participants_waiting_place_is_tentative_and_free_time_and_a_seat_has_the_reminder(app, make):
    participant = make.participant(calendar_reminder_minutes=1440)
    seat = session_(make, start=make.future(10), title="HLR")
    waiting = session_(make, start=make.future(11), title="Sår")
    make.booking(seat, participant)
    make.booking(waiting, participant, status="waitlisted")
    events = _events(app, make.participant_user(participant))
    assert str(events[waiting.uid]["SUMMARY"]) == "Reservlista: Sår"
    assert str(events[waiting.uid]["STATUS"]) == "TENTATIVE"
    assert str(events[waiting.uid]["TRANSP"]) == "TRANSPARENT"
    assert not events[waiting.uid].walk("VALARM")
    assert str(events[seat.uid]["SUMMARY"]) == "HLR" and str(events[seat.uid]["STATUS"]) == "CONFIRMED"
    assert "TRANSP" not in events[seat.uid]
    (alarm,) = events[seat.uid].walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(days=1)


def test_a_unit_event_counts_seats_not_waiting_places(app, make):
    unit = make.unit()
    session = session_(make, start=make.future(10), title="HLR")
    make.booking(session, make.participant(unit, name="Anna Ahl"), status="waitlisted")
    make.booking(session, make.participant(unit, name="Bo Berg"))
    make.booking(session, make.participant(unit, name="Cilla Cas"))
    event = _events(app, make.manager(unit))[session.uid]
    assert str(event["SUMMARY"]) == "HLR (2 från enheten)"
    assert str(event["DESCRIPTION"]).splitlines()[:3] == ["Anna Ahl (reservlista)", "Bo Berg", "Cilla Cas"]


def test_a_unit_event_names_its_people_in_booking_order(app, make):
    unit = make.unit()
    session = session_(make, start=make.future(10), title="HLR")
    # Made in one order, booked in the other: the booking decides.
    later, sooner = make.participant(unit, name="Bo Berg"), make.participant(unit, name="Cilla Cas")
    first_booked = make.participant(unit, name="Anna Ahl")
    for person in (sooner, first_booked, later):
        make.booking(session, person)
    event = _events(app, make.manager(unit))[session.uid]
    assert str(event["DESCRIPTION"]).splitlines()[:3] == ["Cilla Cas", "Anna Ahl", "Bo Berg"]
