"""Session 9's changes to the booking path (the booking row inserted only into a scheduled session,
the invitation's SEQUENCE on the inserted row, promotion looking only at sides with a seat, the
e-mail of a reinstated waiting person), pinned down after mutation testing (docs/MUTATION.md,
"Seventh run, session 9's changes").

Each test kills mutants that passed the tests about these rules; the change named in each docstring
went unnoticed before.
"""
import pytest
from sqlalchemy import update

from ktc.bookings.models import Booking
from ktc.bookings.operations import book_team, cancel_booking
from ktc.errors import SessionNotBookable
from ktc.extensions import db
from ktc.sessions.models import Session


def test_someone_booked_again_into_a_session_cancelled_meanwhile_is_refused(world, make):
    """Hand mutant: `_STILL_SCHEDULED` without its status condition. A person whose earlier booking
    was cancelled is booked again (their row is used again, no conditional INSERT guards it) after an
    admin cancelled the session that this request had loaded: they were put on the waiting list of the
    cancelled session, where no message and no job would reach them again."""
    session = make.session(make.plain_station(), start=make.future(10), capacity=1)
    admin = make.user("admin")
    book_team(admin, session, world.staff[:1])
    (earlier,) = book_team(admin, session, world.staff[1:2])
    cancel_booking(admin, earlier.booking, "Sjuk")
    sessions = Session.__table__
    db.session.execute(update(sessions).where(sessions.c.id == session.id).values(status="cancelled"))
    assert session.status == "scheduled"  # this request's object still shows what it read before
    with pytest.raises(SessionNotBookable):
        book_team(world.manager, session, world.staff[1:2])
    db.session.expire_all()
    assert db.session.get(Booking, earlier.booking.id).status == "cancelled"
