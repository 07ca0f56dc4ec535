"""Reinstating a session never leaves a person booked twice at once.

Reinstating gives the people back the bookings cancelled with the session unless they are booked
elsewhere at that time. A manager booking one of them into another session at that time, while the
reinstatement is under way, must be seen by it (or see it): both check for an overlap before
either commits. They are serialised by the people's row locks, taken before the session's
(the order book_team keeps). PostgreSQL: SQLite runs one writing transaction at a time.
"""
import threading

import pytest
from sqlalchemy import select

from ktc.bookings import operations as booking_ops
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.sessions.models import Session
from ktc.sessions.operations import cancel_session, reinstate_session
from tests.staging import wait_for_a_lock_wait



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
    booked, reinstated = threading.Event(), threading.Event()
    may_commit = threading.Event()
    outcomes = {}

    def book():
        with app.app_context():
            try:
                manager, person = db.session.get(User, manager_id), db.session.get(Participant, person_id)
                results = booking_ops.book_team(manager, db.session.get(Session, other_id), [person])
                booked.set()
                may_commit.wait(timeout=30)
                db.session.commit()
                outcomes["book"] = results[0].status
            except Exception as exc:  # reported by the assertions
                db.session.rollback()
                outcomes["book"] = repr(exc)
            finally:
                booked.set()
                db.session.remove()

    def reinstate():
        with app.app_context():
            try:
                booked.wait(timeout=30)
                restored = reinstate_session(db.session.get(User, planner_id), db.session.get(Session, first_id))
                db.session.commit()
                outcomes["reinstate"] = len(restored)
            except Exception as exc:
                db.session.rollback()
                outcomes["reinstate"] = repr(exc)
            finally:
                reinstated.set()
                db.session.remove()

    threads = [threading.Thread(target=book), threading.Thread(target=reinstate)]
    for t in threads:
        t.start()
    assert booked.wait(timeout=30)
    wait_for_a_lock_wait("the reinstatement neither finished nor waited", done=reinstated)
    may_commit.set()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return outcomes


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
