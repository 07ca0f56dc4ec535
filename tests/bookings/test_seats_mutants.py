"""The seat rule (ktc/bookings/seats.py) pinned down after mutation testing (issue 18,
docs/MUTATION.md, the run of session 5).

Each test kills mutants of ktc/bookings/seats.py that passed the tests about the rule; the change
named in each docstring went unnoticed before.
"""
from datetime import timedelta

import pytest

from ktc.bookings.operations import book_team, cancel_booking
from ktc.bookings.seats import free_for_side, has_seat_for_side, release_at


@pytest.mark.parametrize("offset, second", [(timedelta(0), "confirmed"), (timedelta(seconds=-1), "waitlisted")])
def test_held_seats_open_to_both_sides_at_the_release_time_itself(world, make, offset, second):
    """Mutant: `now >= release` → `now > release` in `is_released` (the seat held for the other
    side stayed closed at the very moment the session page says it opens)."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=2, min_per_side=1,
                           release_before_hours=72)
    results = book_team(world.manager, session, world.staff[:2], now=release_at(session) + offset)
    assert [r.status for r in results] == ["confirmed", second]


def test_free_seats_for_a_side_count_the_other_sides_bookings(world, make):
    """Mutant: `capacity - seats_taken` → `capacity + seats_taken` in `free_for_side` (the session
    and team pages, the planning board and the matrix offered seats the other side had taken)."""
    region = make.unit(make.organisation("regional", name="Region Jönköpings län"), name="Ortopeden")
    nurses = [make.participant(region, name=f"Sjuksköterska {i}") for i in range(3)]
    admin = make.user("admin")
    session = make.session(make.plain_station(), start=make.future(10), capacity=4)
    assert [r.status for r in book_team(admin, session, nurses)] == ["confirmed"] * 3
    assert (free_for_side(session, "municipal"), free_for_side(session, "regional")) == (1, 1)
    book_team(world.manager, session, world.staff[:1])
    assert (free_for_side(session, "municipal"), free_for_side(session, "regional")) == (0, 0)


def test_a_side_at_its_quota_has_no_seat_while_the_other_side_has(world, make):
    """Mutant: `has_seat_for_side` judged with no side (the regional counter read for the municipal
    side: the skill matrix then offered a session whose seats that side could not book)."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=4, min_per_side=2,
                           release_before_hours=72)
    assert [r.status for r in book_team(world.manager, session, world.staff[:2])] == ["confirmed"] * 2
    assert has_seat_for_side(session, "municipal") is False
    assert has_seat_for_side(session, "regional") is True


def test_the_booking_records_who_booked_it_and_when_it_was_confirmed(world, make):
    """Mutants: `booked_by_id` or `confirmed_at` left empty in `_book_one`; the waiting person's
    result without the person (the team page and the API name who waits)."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    moment = session.start_at - timedelta(days=5)
    seated, waiting = book_team(world.manager, session, world.staff[:2], now=moment)
    assert (seated.booking.booked_by_id, seated.booking.confirmed_at) == (world.manager.id, moment)
    assert (waiting.status, waiting.participant) == ("waitlisted", world.staff[1])
    assert waiting.as_dict()["participant_id"] == world.staff[1].id


def test_booking_again_after_cancelling_goes_to_the_back_of_the_waiting_list(world, make):
    """Mutant: `queued_at = None` in `_book_one` (the waiting list then ran in booking-row order, and
    someone who left the list and came back took the seat of one who had waited all along)."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    seated, first, second = world.staff[:3]
    book_team(world.manager, session, [seated])
    (came_back,) = book_team(world.manager, session, [first])
    book_team(world.manager, session, [second])
    cancel_booking(world.manager, came_back.booking)
    again = book_team(world.manager, session, [first])[0]
    assert again.booking.id == came_back.booking.id and again.status == "waitlisted"

    seat = next(b for b in session.bookings if b.participant_id == seated.id)
    cancel_booking(world.manager, seat)

    statuses = {b.participant_id: b.status for b in session.bookings}
    assert (statuses[second.id], statuses[first.id]) == ("confirmed", "waitlisted")
