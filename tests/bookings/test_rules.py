"""Each booking rule of the SPEC, on the operation that views, API and jobs all call."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.bookings.operations import book_team, cancel_booking
from ktc.bookings.seats import promote_released_sessions
from ktc.errors import BookingClosed, PermissionDenied, SessionNotBookable
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.sessions.operations import cancel_session


@pytest.fixture
def world(make):
    """Two municipal units (A managed, B not) and one regional unit, with staff."""
    kommun = make.organisation("municipal", name="Jönköpings kommun")
    region = make.organisation("regional", name="Region Jönköpings län")
    unit_a = make.unit(kommun, name="Hemtjänst Öster")
    unit_b = make.unit(kommun, name="Hemtjänst Väster")
    unit_r = make.unit(region, name="Geriatriken Ryhov")
    manager = make.manager(unit_a)
    rmanager = make.manager(unit_r)
    admin = make.user("admin")
    staff_a = [make.participant(unit_a, name=f"Kommun A{i}") for i in range(8)]
    staff_b = [make.participant(unit_b) for _ in range(2)]
    staff_r = [make.participant(unit_r, name=f"Region R{i}") for i in range(8)]
    return type("World", (), locals())


def statuses(results):
    return [r.status for r in results]


def test_team_booking_books_in_order_then_waitlists(world, make):
    session = make.session(capacity=3)
    results = book_team(world.manager, session, world.staff_a[:5])
    assert statuses(results) == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert results[3].code == "session_full"
    assert session.seats_municipal == 3
    assert all(r.booking.id for r in results)


def test_all_or_nothing_books_nobody_when_team_does_not_fit(world, make):
    session = make.session(capacity=3)
    db.session.commit()
    with pytest.raises(Exception) as info:
        book_team(world.manager, session, world.staff_a[:4], all_or_nothing=True)
    db.session.rollback()
    assert info.value.code == "team_not_bookable"
    assert [r.status for r in info.value.results] == ["refused"] * 3 + ["waitlisted"]
    assert db.session.query(Booking).count() == 0
    db.session.refresh(session)
    assert session.seats_taken == 0


def test_all_or_nothing_books_everyone_when_team_fits(world, make):
    session = make.session(capacity=4)
    results = book_team(world.manager, session, world.staff_a[:4], all_or_nothing=True)
    assert statuses(results) == ["confirmed"] * 4


def test_manager_cannot_book_another_units_staff(world, make):
    session = make.session()
    with pytest.raises(PermissionDenied):
        book_team(world.manager, session, [world.staff_a[0], world.staff_b[0]])


def test_participant_and_instructor_cannot_book(world, make):
    session = make.session()
    for role in ("participant", "instructor", "network"):
        with pytest.raises(PermissionDenied):
            book_team(make.user(role), session, [world.staff_a[0]])


def test_no_double_booking(world, make):
    session = make.session()
    book_team(world.manager, session, [world.staff_a[0]])
    again = book_team(world.manager, session, [world.staff_a[0]])
    assert again[0].status == "refused" and again[0].code == "already_booked"
    assert session.seats_taken == 1


def test_no_overlapping_bookings(world, make):
    first = make.session(start=make.future(10, 9))
    overlapping = make.session(start=make.future(10, 10))
    later = make.session(start=make.future(10, 12))
    book_team(world.manager, first, [world.staff_a[0]])
    assert book_team(world.manager, overlapping, [world.staff_a[0]])[0].code == "overlap"
    assert book_team(world.manager, later, [world.staff_a[0]])[0].status == "confirmed"


def test_cutoff_closes_booking_and_cancellation_except_for_admins(world, make):
    session = make.session(start=make.future(days=0, hour=23) + timedelta(days=0))
    session.start_at = make.future(days=2)
    session.end_at = session.start_at + timedelta(hours=2)
    booked = book_team(world.manager, session, [world.staff_a[0]])[0].booking
    late = session.start_at - timedelta(hours=23)
    with pytest.raises(BookingClosed):
        book_team(world.manager, session, [world.staff_a[1]], now=late)
    with pytest.raises(BookingClosed):
        cancel_booking(world.manager, booked, now=late)
    assert book_team(world.admin, session, [world.staff_a[1]], now=late)[0].status == "confirmed"
    cancel_booking(world.admin, booked, "sjuk", now=late)
    assert booked.status == "cancelled"


def test_cancelled_or_past_session_is_not_bookable(world, make):
    session = make.session()
    cancel_session(world.admin, session, "Instruktören sjuk")
    with pytest.raises(SessionNotBookable):
        book_team(world.manager, session, [world.staff_a[0]])


def test_quota_holds_seats_for_other_side_before_release(world, make):
    # capacity 6, 2 held per side: before release one side may take at most 4.
    session = make.session(capacity=6, min_per_side=2, release_before_hours=72, start=make.future(10))
    results = book_team(world.manager, session, world.staff_a[:6])
    assert statuses(results) == ["confirmed"] * 4 + ["waitlisted"] * 2
    assert results[4].code == "quota_reached"
    regional = book_team(world.rmanager, session, world.staff_r[:3])
    assert statuses(regional) == ["confirmed", "confirmed", "waitlisted"]
    assert regional[2].code == "session_full"
    assert (session.seats_municipal, session.seats_regional) == (4, 2)


def test_after_release_any_free_seat_can_be_taken(world, make):
    session = make.session(capacity=6, min_per_side=2, release_before_hours=72, start=make.future(2))
    # 48 hours before start is inside the 72-hour release window: the quota no longer applies.
    results = book_team(world.manager, session, world.staff_a[:6])
    assert statuses(results) == ["confirmed"] * 6


def test_release_promotes_waitlisted_in_order(world, make):
    session = make.session(capacity=6, min_per_side=2, release_before_hours=72, start=make.future(10))
    book_team(world.manager, session, world.staff_a[:6])
    assert session.seats_municipal == 4
    before_release = session.start_at - timedelta(hours=73)
    assert promote_released_sessions(before_release) == []
    after_release = session.start_at - timedelta(hours=71)
    promoted = promote_released_sessions(after_release)
    assert [b.participant for b in promoted] == world.staff_a[4:6]
    assert session.seats_municipal == 6
    assert db.session.query(OutboxMessage).filter_by(kind="booking_promoted").count() == 2


def test_cancellation_promotes_first_waitlisted_who_fits_quota(world, make):
    session = make.session(capacity=4, min_per_side=1, release_before_hours=72, start=make.future(10))
    # Municipal side may take 3 before the release; regional fills the last seat.
    muni = book_team(world.manager, session, world.staff_a[:5])
    assert statuses(muni) == ["confirmed"] * 3 + ["waitlisted"] * 2
    reg = book_team(world.rmanager, session, world.staff_r[:2])
    assert statuses(reg) == ["confirmed", "waitlisted"]
    # The regional seat frees: the municipal people first in the queue cannot take it (held for
    # the regional side), so the waiting regional person is promoted.
    cancel_booking(world.rmanager, reg[0].booking, "Byte av schema")
    assert reg[1].booking.status == "confirmed"
    assert muni[3].booking.status == "waitlisted"
    # A municipal seat frees: the first municipal person on the waitlist gets it.
    cancel_booking(world.manager, muni[0].booking)
    assert muni[3].booking.status == "confirmed"
    assert muni[4].booking.status == "waitlisted"
    assert (session.seats_municipal, session.seats_regional) == (3, 1)


def test_rebooking_after_cancellation_reuses_the_row(world, make):
    session = make.session()
    booking = book_team(world.manager, session, [world.staff_a[0]])[0].booking
    cancel_booking(world.manager, booking, "fel person")
    again = book_team(world.manager, session, [world.staff_a[0]])[0]
    assert again.status == "confirmed" and again.booking.id == booking.id
    assert session.seats_taken == 1


def test_participant_cancels_own_booking_only(world, make):
    session = make.session()
    mine, other = (r.booking for r in book_team(world.manager, session, world.staff_a[:2]))
    me = make.participant_user(world.staff_a[0])
    with pytest.raises(PermissionDenied):
        cancel_booking(me, other)
    cancel_booking(me, mine, "Kan inte komma")
    assert mine.status == "cancelled" and mine.cancelled_by_id == me.id


def test_cancelling_session_cancels_bookings_and_tells_everyone(world, make):
    session = make.session(capacity=1)
    results = book_team(world.manager, session, world.staff_a[:2])
    cancel_session(world.admin, session, "Stängt")
    assert {r.booking.status for r in results} == {"cancelled"}
    assert session.seats_taken == 0
    assert db.session.query(OutboxMessage).filter_by(kind="session_cancelled").count() == 2


def test_inactive_participant_refused(world, make):
    session = make.session()
    world.staff_a[0].active = False
    assert book_team(world.manager, session, [world.staff_a[0]])[0].code == "participant_inactive"


def test_counters_match_bookings(world, make):
    session = make.session(capacity=5, min_per_side=1)
    book_team(world.manager, session, world.staff_a[:6])
    book_team(world.rmanager, session, world.staff_r[:3])
    seated = db.session.query(Booking).filter(Booking.session_id == session.id, Booking.status == "confirmed")
    assert seated.filter_by(side="municipal").count() == session.seats_municipal == 4
    assert seated.filter_by(side="regional").count() == session.seats_regional == 1


def test_a_booking_rolled_back_is_forgotten_with_its_row(make):
    # The booking row is written with a Core INSERT and the object joined to the session as that row:
    # a rollback must forget the object, as it forgets a flushed one, not leave it pointing at nothing.
    from sqlalchemy import inspect

    unit = make.unit()
    manager = make.manager(unit)
    person = make.participant(unit)
    session = make.session(capacity=4)
    db.session.commit()
    (result,) = book_team(manager, session, [person])
    booking = result.booking
    assert booking.id is not None and booking in db.session
    db.session.rollback()
    assert booking not in db.session and inspect(booking).transient  # as a flushed new object would be
    assert booking.status == "confirmed"  # what it held, without a load that finds no row
    assert db.session.execute(select(Booking).where(Booking.session_id == session.id)).first() is None
    (again,) = book_team(manager, session, [person])
    assert again.status == "confirmed" and again.booking is not booking
