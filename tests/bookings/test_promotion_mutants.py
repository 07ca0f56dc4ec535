"""Promotion from the waiting list and the seat claim (ktc/bookings/seats.py) pinned down after
mutation testing (issue 18, docs/MUTATION.md, the fourth run).

Each test kills mutants of `promote_from_waitlist`, `claim_seat`, `hold_session` or `current` that
passed the tests about the booking rule; the change named in each docstring went unnoticed before.
"""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from ktc.audit.models import AuditEntry
from ktc.bookings.operations import book_team, cancel_booking
from ktc.bookings.seats import promote_from_waitlist
from ktc.extensions import db
from ktc.mail.models import OutboxMessage


@pytest.fixture
def world(make):
    kommun = make.organisation("municipal", name="Vetlanda kommun")
    unit = make.unit(kommun, name="Särskilt boende Norr")
    manager = make.manager(unit)
    admin = make.user("admin")
    staff = [make.participant(unit, name=f"Undersköterska {i}") for i in range(5)]
    return type("World", (), locals())


def test_a_seat_freed_at_the_very_start_goes_to_nobody(world, make):
    """Mutant: `start_at <= now` → `start_at < now` in `promote_from_waitlist` (someone waiting was
    given a seat, and told so, in a session starting that very moment)."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    seated, waiting = (r.booking for r in book_team(world.manager, session, world.staff[:2]))
    cancel_booking(world.admin, seated, "Sjuk", now=session.start_at)
    assert waiting.status == "waitlisted"
    assert session.seats_taken == 0



def test_when_the_freed_seat_is_taken_the_one_promoted_is_still_told_and_logged(world, make):
    """Mutants: `break` → `return` when the session fills during promotion (the promoted person
    was neither e-mailed nor logged, and the release job's `promoted += …` failed on None); the
    promotion without its confirmation time; the `booking.promoted` audit entry without its
    booking or session, or under another name."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    seated, first, second = (r.booking for r in book_team(world.manager, session, world.staff[:3]))
    moment = session.start_at - timedelta(days=3)
    seated.status = "cancelled"
    session.seats_municipal = 0  # the seat freed without promotion, as by a session made bigger
    db.session.flush()
    assert promote_from_waitlist(session, moment) == [first]
    assert (first.status, first.confirmed_at, second.status) == ("confirmed", moment, "waitlisted")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "booking.promoted")).scalar_one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (None, "booking", first.id)
    assert json.loads(entry.details) == {"session": session.id}
    told = db.session.execute(select(OutboxMessage.kind).where(OutboxMessage.booking_id == first.id)).scalars()
    assert "booking_promoted" in list(told)


def test_a_freed_seat_goes_to_the_waiting_person_whose_side_may_still_take_it(world, make):
    """Mutants: the side of the waiting person not passed to `has_seat_for_side` (`None`, or
    `now` in its place): the regional counter was read for a municipal person, and with the
    region at its quota nobody from the municipality moved up to the freed seat."""
    region = make.unit(make.organisation("regional", name="Region Jönköpings län"), name="Ortopeden")
    nurses = [make.participant(region, name=f"Sjuksköterska {i}") for i in range(3)]
    session = make.session(make.plain_station(), start=make.future(10), capacity=4, min_per_side=1,
                           release_before_hours=72)
    assert [r.status for r in book_team(world.admin, session, nurses)] == ["confirmed"] * 3
    seated, waiting = (r.booking for r in book_team(world.manager, session, world.staff[:2]))
    assert (seated.status, waiting.status) == ("confirmed", "waitlisted")
    cancel_booking(world.manager, seated)
    assert waiting.status == "confirmed"
    assert (session.seats_municipal, session.seats_regional) == (1, 3)


def test_a_cancel_reads_the_status_another_request_committed_after_the_booking_was_loaded(world, make):
    """Mutants: the status guard read inverted (`hold_session` took no lock and re-read nothing)
    and the booking not re-read after the lock (`current`): a waiting booking that another request
    had promoted meanwhile was cancelled as if still waiting, so its seat stayed counted — the lost
    update the race tests show on PostgreSQL, made here one step at a time."""
    from sqlalchemy import update

    from ktc.bookings.models import Booking

    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    seated, waiting = (r.booking for r in book_team(world.manager, session, world.staff[:2]))
    # Another request cancels the seat and promotes the waiting person; this request's objects
    # still show what it read before (Core statements do not touch the loaded objects).
    bookings = Booking.__table__
    db.session.execute(update(bookings).where(bookings.c.id == seated.id).values(status="cancelled"))
    db.session.execute(update(bookings).where(bookings.c.id == waiting.id).values(status="confirmed"))
    assert waiting.status == "waitlisted"
    cancel_booking(world.manager, waiting, "Förhindrad")
    db.session.expire_all()
    assert waiting.status == "cancelled"
    assert session.seats_taken == 0


def test_a_cancel_judges_the_cutoff_by_the_session_time_another_request_committed(world, make):
    """Mutants: the session row locked but not re-read (`populate_existing` None or False, or a
    `select(None)` that reads no session): a manager's cancel, loaded before an admin moved the
    session to a time inside the cut-off, was let through on the old start time."""
    from datetime import timezone

    from sqlalchemy import update

    from ktc.database import utcnow
    from ktc.errors import BookingClosed
    from ktc.sessions.models import Session

    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    booking = book_team(world.manager, session, world.staff[:1])[0].booking
    soon = (utcnow() + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0, tzinfo=timezone.utc)
    sessions = Session.__table__
    db.session.execute(update(sessions).where(sessions.c.id == session.id).values(
        start_at=soon, end_at=soon + timedelta(hours=2)))
    with pytest.raises(BookingClosed):
        cancel_booking(world.manager, booking, "Förhindrad")


def test_no_seat_is_counted_in_a_session_cancelled_after_the_booking_request_read_it(world, make):
    """Mutants: the seat guard read inverted or under no key (`if KTC_SEAT_GUARD`,
    `config.get(True)`): every claim became the read-check-write that only the race control
    uses, which neither re-checks the session's status nor the counters at the write. A session
    an admin cancelled after this request had loaded it got a confirmed, counted seat. (The booking
    row itself is refused since: it is inserted only into a scheduled session; the seat counted
    before that refusal is what the mutants changed, seen here in the same transaction.)"""
    from sqlalchemy import update

    from ktc.errors import SessionNotBookable
    from ktc.sessions.models import Session

    session = make.session(make.plain_station(), start=make.future(10), capacity=2)
    sessions = Session.__table__
    db.session.execute(update(sessions).where(sessions.c.id == session.id).values(status="cancelled"))
    assert session.status == "scheduled"  # this request's object still shows what it read before
    with pytest.raises(SessionNotBookable):
        book_team(world.manager, session, world.staff[:1])
    db.session.expire_all()
    assert session.seats_taken == 0


def test_promotion_passes_over_a_side_at_its_quota_to_the_next_side_in_the_queue(world, make):
    """Mutant: `continue` → `break` when a waiting person's side has no seat left (session 9's
    promotion). Two seats freed, one of them held for the region: the first municipal person in the
    queue takes the municipality's seat, the second is passed over, and the regional person behind
    them gets the held seat. With `break` the regional person stayed waiting beside a free seat."""
    region = make.unit(make.organisation("regional", name="Region Jönköpings län"), name="Ortopeden")
    nurses = [make.participant(region, name=f"Sjuksköterska {i}") for i in range(2)]
    session = make.session(make.plain_station(), start=make.future(10), capacity=4, min_per_side=1,
                           release_before_hours=72)
    municipal = [r.booking for r in book_team(world.manager, session, world.staff[:5])]
    assert [b.status for b in municipal] == ["confirmed"] * 3 + ["waitlisted"] * 2
    seated_nurse, waiting_nurse = (r.booking for r in book_team(world.admin, session, nurses))
    assert (seated_nurse.status, waiting_nurse.status) == ("confirmed", "waitlisted")
    # Two seats freed at once (a municipal and the regional one), as by two cancels before a release.
    municipal[0].status = seated_nurse.status = "cancelled"
    session.seats_municipal, session.seats_regional = 2, 0
    db.session.flush()
    moment = session.start_at - timedelta(days=5)
    assert promote_from_waitlist(session, moment) == [municipal[3], waiting_nurse]
    assert municipal[4].status == "waitlisted"
    assert (session.seats_municipal, session.seats_regional) == (3, 1)


def test_team_members_queued_in_one_request_move_up_in_the_order_they_were_booked(world, make):
    """Mutants: the waiting list's tie-break by id dropped (`order_by(queued_at)` alone). People booked
    together in one request share their queue time; the first of them in the team's list is the first
    in the queue, also after the first one's row was written again (PostgreSQL then reads the rewritten
    row last, and without the tie-break the second person got the freed seat)."""
    from sqlalchemy import update

    from ktc.bookings.models import Booking

    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    seated, first, second = (r.booking for r in book_team(world.manager, session, world.staff[:3]))
    assert first.queued_at == second.queued_at and first.id < second.id
    bookings = Booking.__table__
    # The first person's row written again (cancelled and given back, as a reinstated session does).
    for status in ("cancelled", "waitlisted"):
        db.session.execute(update(bookings).where(bookings.c.id == first.id).values(status=status))
    cancel_booking(world.manager, seated, "Sjuk")
    assert (first.status, second.status) == ("confirmed", "waitlisted")
