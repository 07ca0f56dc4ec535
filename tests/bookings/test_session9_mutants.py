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


def test_a_regional_booking_cancelled_earlier_does_not_make_a_municipal_waiting_booking_lock_the_session(make):
    """Hand mutant: promotion's probe for anyone waiting (`seats._ANYONE_WAITING`) without its status
    condition. The session's third seat is held for the region and a municipal person already waits;
    the region has nobody waiting, only a booking cancelled earlier. The probe took that booking for
    someone waiting, so the next municipal booking read the whole queue under a lock of the session's
    row (every such booking waiting for the one before it to commit), to promote nobody."""
    import re

    from bench import measure

    kommun, region = make.unit(side="municipal"), make.unit(side="regional")
    manager = make.manager(kommun)
    session = make.session(capacity=3, min_per_side=1, start=make.future(days=30), release_before_hours=24)
    for person in (make.participant(kommun) for _ in range(2)):
        make.booking(session, person)
    make.booking(session, make.participant(kommun), status="waitlisted")
    make.booking(session, make.participant(region), status="cancelled")
    newcomer = make.participant(kommun)
    db.session.commit()
    with measure.counting_statements(db.engine) as seen:
        (result,) = book_team(manager, session, [newcomer])
    assert (result.status, result.code) == ("waitlisted", "quota_reached")
    assert not [s for s in seen if re.search(r"FROM sessions\b", s) and re.search(r"FOR UPDATE\s*$", s)]
    assert not [s for s in seen if "ORDER BY bookings.queued_at" in s]


def _waiting_mails(person):
    from sqlalchemy import select

    from ktc.mail.models import OutboxMessage

    return db.session.execute(select(OutboxMessage.booking_id).where(
        OutboxMessage.kind == "booking_waitlisted", OutboxMessage.recipient == person.email)).scalars().all()


def test_each_waiting_list_a_person_joins_is_told_by_its_own_email(world, make):
    """Mutants: the 'waiting' e-mail's de-duplication key without the booking (`key = None`): a person
    put on the waiting lists of two sessions was told of the first only; and without the moment they
    joined the queue (`_moment(None)`): someone put back on a waiting list after cancelling got no word."""
    person = world.staff[3]
    sessions = [make.session(make.plain_station(), start=make.future(days), capacity=1) for days in (10, 12)]
    for session, seated in zip(sessions, world.staff[:2]):
        book_team(world.manager, session, [seated])
    first, second = (book_team(world.manager, session, [person])[0].booking for session in sessions)
    assert (first.status, second.status) == ("waitlisted", "waitlisted")
    assert sorted(_waiting_mails(person)) == sorted([first.id, second.id])
    cancel_booking(world.manager, first, "Förhindrad")
    (again,) = book_team(world.manager, sessions[0], [person])
    assert (again.booking.id, again.status) == (first.id, "waitlisted")  # the same row, queued again
    assert sorted(_waiting_mails(person)) == sorted([first.id, first.id, second.id])
