"""A booking made while the session is being cancelled is never left waiting in a cancelled session.

Cancelling a session cancels its confirmed and waiting bookings and tells everyone. A manager
booking someone onto the full session's waiting list at that moment took no lock of its own
before: when the cancel held the session's row, the booking's seat claim waited, found nothing to
claim and put the person on the waiting list of the session just cancelled, where no message and
no job would ever reach them again. The booking row is now inserted only while the session is
still scheduled, read under a share lock of its row (bookings.operations._insert_booking_statement).
PostgreSQL: SQLite runs one writing transaction at a time.
"""
import pytest
from sqlalchemy import bindparam, insert, select

from ktc.bookings import operations as booking_ops
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.sessions.models import Session
from ktc.sessions.operations import cancel_session
from tests.staging import hold_then_start


@pytest.fixture
def postgres_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE): the two cannot interleave")


@pytest.fixture(params=["new", "again"])
def full_session(request, make):
    """A full one-seat session, its manager, an admin and a person of the unit not booked on it:
    never ("new", a row is inserted) or cancelled before ("again", their row is used again)."""
    unit = make.unit()
    session = make.session(make.station(), start=make.future(days=9, hour=9), capacity=1)
    make.booking(session, make.participant(unit))
    manager, admin, person = make.manager(unit), make.user("admin"), make.participant(unit)
    if request.param == "again":
        make.booking(session, person, status="cancelled")
    db.session.commit()
    return {"manager": manager.id, "admin": admin.id, "person": person.id, "session": session.id,
            "before": [("cancelled", "cancelled")] if request.param == "again" else []}


def _bookings_of(person_id):
    db.session.expire_all()
    rows = db.session.execute(
        select(Booking.status, Session.status).join(Session, Session.id == Booking.session_id)
        .where(Booking.participant_id == person_id)).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def _book(ids):
    from ktc.accounts.models import User

    def work():
        session, waiting = booking_ops.session_to_book(ids["session"])
        results = booking_ops.book_team(db.session.get(User, ids["manager"]), session,
                                        [db.session.get(Participant, ids["person"])], waiting=waiting)
        return results[0].status
    return "book", work


def _cancel(ids):
    from ktc.accounts.models import User

    def work():
        cancel_session(db.session.get(User, ids["admin"]), db.session.get(Session, ids["session"]), reason="Sjukdom")
        return "cancelled"
    return "cancel", work


def test_a_booking_waiting_for_the_cancel_is_refused(app, full_session, postgres_only):
    outcomes = hold_then_start(app, _cancel(full_session), _book(full_session))
    assert outcomes["cancel"] == "cancelled"
    assert "SessionNotBookable" in outcomes["book"]
    assert _bookings_of(full_session["person"]) == full_session["before"]


def test_a_booking_made_before_the_cancel_is_cancelled_with_the_others(app, full_session, postgres_only):
    outcomes = hold_then_start(app, _book(full_session), _cancel(full_session))
    assert outcomes == {"book": "waitlisted", "cancel": "cancelled"}
    assert _bookings_of(full_session["person"]) == [("cancelled", "cancelled")]


def test_control_without_the_share_lock_the_person_is_left_waiting_in_a_cancelled_session(
        app, full_session, postgres_only, monkeypatch):
    table, sessions = Booking.__table__, Session.__table__
    names = [c.name for c in table.c if c.name != "id"]
    unguarded = (insert(table).from_select(names, select(*(bindparam(n, type_=table.c[n].type) for n in names)))
                 .returning(table.c.id))
    monkeypatch.setattr(booking_ops, "_insert_booking_statement", lambda: unguarded)
    monkeypatch.setattr(booking_ops, "_STILL_SCHEDULED",
                        select(sessions.c.id).where(sessions.c.id == bindparam("session_id")))
    outcomes = hold_then_start(app, _cancel(full_session), _book(full_session))
    assert outcomes == {"cancel": "cancelled", "book": "waitlisted"}
    assert _bookings_of(full_session["person"]) == [("waitlisted", "cancelled")]
