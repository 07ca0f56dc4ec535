"""Booking rules pinned down after mutation testing (issue 18, docs/MUTATION.md).

Each test here kills mutants of ktc/bookings/operations.py that survived the rest of the suite:
the change named in each docstring passed every other test.
"""
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ktc.audit.models import AuditEntry
from ktc.bookings.operations import book_team, booking_sides, cancel_booking
from ktc.bookings.seats import promote_released_sessions, release_at
from ktc.errors import BookingClosed
from ktc.extensions import db


@pytest.fixture
def world(make):
    kommun = make.organisation("municipal", name="Nässjö kommun")
    unit = make.unit(kommun, name="Hemtjänst Centrum")
    manager = make.manager(unit)
    admin = make.user("admin")
    staff = [make.participant(unit, name=f"Vårdbiträde {i}") for i in range(6)]
    station = make.plain_station()
    return type("World", (), locals())


def test_release_promotes_in_every_released_session_in_start_order(world, make):
    """Mutants: `min_per_side > 1` (one held seat never released), `promoted = ...` (only the last
    session's promotions returned), no order (sessions in id order, not start order)."""
    later = make.session(world.station, start=make.future(12), capacity=2, min_per_side=1)
    earlier = make.session(make.plain_station(), start=make.future(11), capacity=2, min_per_side=1)
    waiting = {}
    for session in (later, earlier):
        results = book_team(world.manager, session, world.staff[:2])
        assert [r.status for r in results] == ["confirmed", "waitlisted"]
        assert results[1].code == "quota_reached"
        waiting[session.id] = results[1].booking
    after_both_releases = later.start_at - timedelta(hours=71)
    promoted = promote_released_sessions(after_both_releases)
    assert promoted == [waiting[earlier.id], waiting[later.id]]
    assert {b.status for b in promoted} == {"confirmed"}


def test_quota_reason_says_when_the_held_seats_are_released(world, make):
    """Mutants: the reason without the release time, in a broken format or not in the centre's time zone."""
    helsinki = make.plain_station(make.centre(timezone="Europe/Helsinki"))
    session = make.session(helsinki, start=make.future(10, hour=9), capacity=2, min_per_side=1,
                           release_before_hours=72)
    result = book_team(world.manager, session, world.staff[:2])[1]
    assert result.code == "quota_reached"
    local = release_at(session).astimezone(ZoneInfo("Europe/Helsinki"))
    assert result.reason.endswith(f" till {local:%Y-%m-%d %H:%M}.")


def test_cancelling_without_a_reason_stores_an_empty_reason(world, make):
    """Mutant: a default reason of "XXXX" (shown on the session page beside the booking)."""
    session = make.session(world.station)
    booking = book_team(world.manager, session, [world.staff[0]])[0].booking
    cancel_booking(world.manager, booking)
    assert booking.cancel_reason == ""


def test_a_waitlisted_booking_can_be_cancelled_and_frees_no_seat(world, make):
    """Mutant: only confirmed bookings accepted for cancellation."""
    session = make.session(world.station, capacity=1)
    seated, waiting = (r.booking for r in book_team(world.manager, session, world.staff[:2]))
    assert waiting.status == "waitlisted"
    cancel_booking(world.manager, waiting, "Behövs inte")
    assert waiting.status == "cancelled"
    assert seated.status == "confirmed" and session.seats_taken == 1


def test_cancelling_after_the_cutoff_says_how_many_hours_before(world, make):
    """Mutant: the message without the number of hours."""
    session = make.session(world.station, start=make.future(5))
    booking = book_team(world.manager, session, [world.staff[0]])[0].booking
    with pytest.raises(BookingClosed) as info:
        cancel_booking(world.manager, booking, now=session.start_at - timedelta(hours=2))
    assert str(info.value) == "Bokning och avbokning stängde 24 timmar före start."


def test_the_audit_log_names_who_cancelled(world, make):
    """Mutant: the cancellation audited without its actor."""
    session = make.session(world.station)
    booking = book_team(world.manager, session, [world.staff[0]])[0].booking
    cancel_booking(world.manager, booking, "Sjuk")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "booking.cancelled")).scalar_one()
    assert entry.actor_id == world.manager.id and entry.object_id == booking.id
    assert json.loads(entry.details) == {"reason": "Sjuk", "session": session.id}


def test_a_seat_freed_after_the_start_goes_to_nobody(world, make):
    """Mutant: promotion judged at the clock's time instead of the cancellation's `now`."""
    session = make.session(world.station, start=make.future(10), capacity=1)
    seated, waiting = (r.booking for r in book_team(world.manager, session, world.staff[:2]))
    cancel_booking(world.admin, seated, "Gick hem", now=session.start_at + timedelta(minutes=30))
    assert waiting.status == "waitlisted"
    assert session.seats_taken == 0


def test_a_counter_already_at_zero_is_not_taken_below_zero(world, make):
    """Mutant: `seats > 0` relaxed to `>= 0` in the release (counters out of step never go negative)."""
    session = make.session(world.station)
    booking = book_team(world.manager, session, [world.staff[0]])[0].booking
    session.seats_municipal = 0  # out of step, as after a hand edit in the database
    db.session.flush()
    cancel_booking(world.manager, booking)
    db.session.refresh(session)
    assert session.seats_municipal == 0


def test_staff_offered_for_booking_are_the_active_people_of_ones_units_by_unit_then_name(make):
    """Mutants: inactive or anonymised people offered, the admin offered nobody, an order by
    unit only or by name only."""
    from ktc.bookings.operations import bookable_participants
    from ktc.database import utcnow

    unit_b = make.unit(name="B-gruppen")
    unit_a = make.unit(name="A-gruppen")
    make.participant(unit_b, name="Adam Berg")
    make.participant(unit_a, name="Cecilia Ek")
    make.participant(unit_a, name="Berit Al")
    make.participant(unit_a, name="Inaktiv Ingrid", active=False)
    make.participant(unit_a, name="Anonym Anna", anonymised_at=utcnow())
    make.participant(make.unit(name="Annan enhet"), name="Utomstående Ulf")
    manager = make.manager(unit_a, unit_b)
    names = [p.name for p in bookable_participants(manager)]
    assert names == ["Berit Al", "Cecilia Ek", "Adam Berg"]
    assert [p.name for p in bookable_participants(make.user("admin"))] == [
        "Berit Al", "Cecilia Ek", "Utomstående Ulf", "Adam Berg"]
    assert bookable_participants(manager, ids=[]) == []


def test_a_manager_of_no_unit_is_offered_nobody(make):
    """Mutant: an empty set of units read as unit 1."""
    from ktc.bookings.operations import bookable_participants

    make.participant(make.unit(id=1, name="Enhet ett"), name="Ingrid Ett")
    assert bookable_participants(make.manager()) == []


def test_cancelling_frees_a_seat_in_that_session_only(world, make):
    """Mutant: the seat release without its session (every session's counter went down by one)."""
    session = make.session(world.station, start=make.future(10))
    other = make.session(world.station, start=make.future(11))
    booking = book_team(world.manager, session, [world.staff[0]])[0].booking
    book_team(world.manager, other, [world.staff[1]])
    cancel_booking(world.manager, booking)
    db.session.expire_all()
    assert (session.seats_taken, other.seats_taken) == (0, 1)


def test_an_earlier_session_can_be_booked_after_a_later_one_and_back_to_back_is_no_overlap(world, make):
    """Mutant: the overlap test without `starts before the new one ends` (a later booking blocked an earlier session)."""
    person = world.staff[0]
    later = make.session(world.station, start=make.future(10, hour=13))
    earlier = make.session(make.plain_station(), start=make.future(10, hour=9))
    right_after = make.session(make.plain_station(), start=later.end_at)
    right_before = make.session(make.plain_station(), start=later.start_at - timedelta(hours=2))
    for session in (later, earlier, right_after, right_before):
        result = book_team(world.manager, session, [person])[0]
        assert (result.status, result.code) == ("confirmed", None)


def test_cancellation_closes_exactly_at_the_cutoff_and_records_when(world, make):
    """Mutants: `now > cutoff` (one more moment to cancel), the cancellation time not stored."""
    session = make.session(world.station, start=make.future(5))
    first, second = (r.booking for r in book_team(world.manager, session, world.staff[:2]))
    cutoff = session.start_at - timedelta(hours=24)
    with pytest.raises(BookingClosed):
        cancel_booking(world.manager, first, now=cutoff)
    moment = cutoff - timedelta(seconds=1)
    cancel_booking(world.manager, second, now=moment)
    assert second.cancelled_at == moment


def test_an_admin_books_for_both_sides_and_a_manager_for_their_units_side(world, make):
    """Mutants of `booking_sides`: an admin's second side named anything but "regional" (the
    session and team pages then asked for the free seats of a side that does not exist)."""
    region = make.organisation("regional", name="Region Jönköpings län")
    both = make.manager(world.unit, make.unit(region, name="Kirurgen"))
    assert booking_sides(world.admin) == ["municipal", "regional"]
    assert booking_sides(world.manager) == ["municipal"]
    assert booking_sides(both) == ["municipal", "regional"]
