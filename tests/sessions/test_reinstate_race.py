"""Reinstating a session never leaves a person booked twice at once.

Reinstating gives the people back the bookings cancelled with the session unless they are booked
elsewhere at that time. A manager booking one of them into another session at that time, while the
reinstatement is under way, must be seen by it (or see it): both check for an overlap before
either commits. They are serialised by the people's row locks, taken before the session's
(the order book_team keeps). PostgreSQL: SQLite runs one writing transaction at a time.
"""
import pytest
from sqlalchemy import select

from ktc.bookings import operations as booking_ops
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.sessions.models import Session
from ktc.sessions.operations import cancel_session, reinstate_session
from tests.staging import hold_then_start


@pytest.fixture
def setup(make):
    unit = make.unit()
    manager, planner, person = make.manager(unit), make.user("planner"), make.participant(unit)
    start = make.future(days=12, hour=9)
    first = make.session(make.station(), start=start)
    other = make.session(make.station(), start=start)  # the same hours, another station
    make.booking(first, person)
    cancel_session(planner, first, reason="Strömavbrott")
    db.session.commit()
    return manager.id, planner.id, person.id, first.id, other.id


def _active(person_id):
    db.session.expire_all()
    rows = db.session.execute(
        select(Booking.session_id).join(Session, Session.id == Booking.session_id)
        .where(Booking.participant_id == person_id, Booking.status.in_(("confirmed", "waitlisted")),
               Session.status == "scheduled")
    ).scalars().all()
    db.session.commit()
    return sorted(rows)


def _race(app, setup):
    """The booking is written but not committed when the reinstatement starts; it commits once the
    reinstatement has either finished or waits for a lock."""
    from ktc.accounts.models import User

    manager_id, planner_id, person_id, first_id, other_id = setup

    def book():
        manager, person = db.session.get(User, manager_id), db.session.get(Participant, person_id)
        return booking_ops.book_team(manager, db.session.get(Session, other_id), [person])[0].status

    def reinstate():
        return len(reinstate_session(db.session.get(User, planner_id), db.session.get(Session, first_id)))

    return hold_then_start(app, ("book", book), ("reinstate", reinstate))


@pytest.fixture
def postgres_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE): the two cannot interleave")


def test_a_booking_elsewhere_during_a_reinstatement_is_not_overlapped(app, setup, postgres_only):
    person_id, first_id, other_id = setup[2], setup[3], setup[4]
    outcomes = _race(app, setup)
    # The booking came first: the person stays cancelled in the reinstated session.
    assert outcomes == {"book": "confirmed", "reinstate": 0}
    assert _active(person_id) == [other_id]
    db.session.expire_all()
    assert db.session.get(Session, first_id).status == "scheduled"
    db.session.commit()


def test_control_without_the_locks_the_person_is_booked_twice_at_once(app, setup, postgres_only, monkeypatch):
    monkeypatch.setattr(booking_ops, "lock_participant_ids", lambda ids: None)
    person_id, first_id, other_id = setup[2], setup[3], setup[4]
    outcomes = _race(app, setup)
    assert outcomes == {"book": "confirmed", "reinstate": 1}
    assert _active(person_id) == sorted([first_id, other_id])
