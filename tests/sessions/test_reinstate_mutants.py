"""Reinstating a cancelled session, pinned down after mutation testing (issue 18, docs/MUTATION.md).

Each test kills mutants of `restore_bookings` (ktc/bookings/operations.py) that passed the rest of
the suite; the change named in each docstring went unnoticed before. They go through the public
operations (`cancel_session`, `reinstate_session`, `book_team`).
"""
import json
from datetime import timedelta

from sqlalchemy import select

from ktc.audit.models import AuditEntry
from ktc.bookings.operations import book_team
from ktc.extensions import db
from ktc.sessions.operations import cancel_session, reinstate_session


def _people(make, *names):
    unit = make.unit(make.organisation("municipal"))
    return [make.participant(unit, name=name) for name in names]


def test_people_who_cannot_come_back_are_skipped_and_the_rest_get_their_seats(make):
    """Mutants: someone inactive (not anonymised) given a seat back (`or` → `and`); `break` instead
    of `continue` for the inactive or the elsewhere-booked person (nobody after them restored); the
    seat counted for no side; the confirmation time or the audit entry (actor, booking, status,
    session) lost."""
    admin = make.user("admin")
    start = make.future(8)
    session = make.session(make.plain_station(), start=start, capacity=3)
    gone, away, stays = _people(make, "Gun Ek", "Ali Berg", "Stina Lund")
    booked = {p.name: r.booking for p, r in zip((gone, away, stays),
                                               (book_team(admin, session, [p])[0] for p in (gone, away, stays)))}
    assert {b.status for b in booked.values()} == {"confirmed"}
    cancel_session(admin, session, "Strömavbrott")
    gone.active = False
    elsewhere = make.session(make.plain_station(), start=start, capacity=3)
    assert book_team(admin, elsewhere, [away])[0].status == "confirmed"
    db.session.flush()

    now = start - timedelta(days=5)
    restored = reinstate_session(admin, session, now=now)

    assert restored == [booked["Stina Lund"]]
    assert booked["Gun Ek"].status == booked["Ali Berg"].status == "cancelled"
    back = booked["Stina Lund"]
    assert (back.status, back.confirmed_at) == ("confirmed", now)
    assert (session.seats_municipal, session.seats_regional) == (1, 0)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "booking.reinstated")).scalar_one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (admin.id, "booking", back.id)
    assert json.loads(entry.details) == {"status": "confirmed", "session": session.id}


def test_the_waiting_list_comes_back_in_queue_order(make):
    """Mutants: the waiting list restored by booking id instead of the time each person joined it
    (`queued_at or now` → `and`, `confirmed_at or queued_at` → `and`)."""
    admin = make.user("admin")
    start = make.future(8)
    session = make.session(make.plain_station(), start=start, capacity=2)
    seated, leaving, joined_late, joined_early = _people(make, "Anna", "Bo", "Cilla", "Dan")
    t = start - timedelta(days=20)
    make.booking(session, seated, confirmed_at=t, queued_at=t)
    make.booking(session, leaving, confirmed_at=t + timedelta(minutes=1), queued_at=t + timedelta(minutes=1))
    # The lower id joined the queue later.
    late = make.booking(session, joined_late, status="waitlisted", queued_at=t + timedelta(hours=3))
    early = make.booking(session, joined_early, status="waitlisted", queued_at=t + timedelta(hours=2))
    assert late.id < early.id
    cancel_session(admin, session, "Sjukdom")
    leaving.active = False  # their seat is free when the session comes back
    db.session.flush()

    reinstate_session(admin, session, now=start - timedelta(days=5))

    assert (early.status, late.status) == ("confirmed", "waitlisted")


def test_held_seats_released_by_the_time_of_reinstating_go_to_either_side(make):
    """Mutant: the side quota judged at the clock's time instead of the reinstatement's `now`."""
    admin = make.user("admin")
    start = make.future(8)
    session = make.session(make.plain_station(), start=start, capacity=2, min_per_side=1, release_before_hours=72)
    people = _people(make, "Eva", "Fia")
    after_release = start - timedelta(hours=24)
    results = book_team(admin, session, people, now=after_release)
    assert [r.status for r in results] == ["confirmed", "confirmed"]
    cancel_session(admin, session, "Stängt")

    restored = reinstate_session(admin, session, now=after_release + timedelta(hours=1))

    assert [b.status for b in restored] == ["confirmed", "confirmed"]
    assert session.seats_municipal == 2


def test_bookings_elsewhere_that_do_not_overlap_do_not_keep_anyone_out(make):
    """Mutants of the overlap check (`_overlapping_booking` then, `_own_and_overlapping` now): a booking elsewhere counted although it is cancelled (the
    status filter dropped), ends exactly when the session starts or starts exactly when it ends
    (`<` → `<=`, `>` → `>=`, either bound dropped), or the join to the other session's times lost
    (`Session.id != Booking.session_id`: the session itself then overlaps)."""
    admin = make.user("admin")
    start = make.future(8)
    session = make.session(make.plain_station(), start=start, hours=2, capacity=4)
    before, after, cancelled_elsewhere, clash = _people(make, "Hugo", "Ines", "Jon", "Kim")
    booked = [book_team(admin, session, [p])[0].booking for p in (before, after, cancelled_elsewhere, clash)]
    cancel_session(admin, session, "Instruktören sjuk")
    make.booking(make.session(make.plain_station(), start=start - timedelta(hours=2), hours=2), before)
    make.booking(make.session(make.plain_station(), start=start + timedelta(hours=2), hours=2), after)
    make.booking(make.session(make.plain_station(), start=start, hours=2), cancelled_elsewhere, status="cancelled")
    make.booking(make.session(make.plain_station(), start=start + timedelta(hours=1), hours=2), clash)

    restored = reinstate_session(admin, session, now=start - timedelta(days=5))

    assert restored == booked[:3]
    assert [b.status for b in booked] == ["confirmed", "confirmed", "confirmed", "cancelled"]
