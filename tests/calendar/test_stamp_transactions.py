"""A feed's version rises exactly when the transaction that changed it commits, whatever savepoints it used."""
import pytest
from sqlalchemy import event, select

from ktc.bookings.models import Booking
from ktc.calendar.models import CalendarStamp
from ktc.extensions import db

from tests.calendar.helpers import session as session_


class Boom(Exception):
    pass


def _version(scope):
    return db.session.execute(select(CalendarStamp.version).where(CalendarStamp.scope == scope)).scalar() or 0


def _booked(make):
    """A booking made and flushed, not yet committed: its participant's feed is pending."""
    session = session_(make, start=make.future(20))
    person = make.participant()
    db.session.commit()
    scope = f"participant:{person.id}"
    before = _version(scope)
    db.session.commit()
    db.session.add(Booking(session_id=session.id, participant_id=person.id, side=person.side, status="waitlisted"))
    db.session.flush()
    return scope, before


def test_a_savepoint_rolled_back_before_the_commit_keeps_the_bookings_feed_change(make):
    """Other code rolls back savepoints (notices, paths, sessions): the booking still renews its feeds' ETags."""
    scope, before = _booked(make)
    with pytest.raises(Boom):
        with db.session.begin_nested():
            raise Boom()
    db.session.commit()
    assert _version(scope) == before + 1


def test_a_rolled_back_transaction_raises_no_version_and_leaves_nothing_for_the_next(make):
    scope, before = _booked(make)
    db.session.rollback()
    db.session.commit()
    assert _version(scope) == before


def test_the_versions_are_the_last_statements_of_the_transaction_not_a_savepoints(make):
    """Raised last, a version row is locked only for the instant before the commit (stamps.py)."""
    scope, before = _booked(make)
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0:3])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with db.session.begin_nested():
            db.session.execute(select(CalendarStamp.scope).limit(1))
        db.session.execute(select(CalendarStamp.scope).limit(1))
        db.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert _version(scope) == before + 1
    writes = [i for i, words in enumerate(statements) if words[:3] == ["INSERT", "INTO", "calendar_stamps"]]
    assert writes, statements
    assert writes == list(range(writes[0], len(statements))), statements


def test_a_booking_renews_both_the_persons_and_the_units_feed_in_one_commit(make):
    """Hand mutants (session 9): a scope lost from the array of scopes stamped in one execution on
    PostgreSQL (the last in sorted order, the unit's): the unit's feed kept its ETag, so calendars
    that subscribe to the unit never fetched the new booking."""
    from ktc.bookings.operations import book_team

    session = session_(make, start=make.future(20))
    unit = make.unit()
    person, manager = make.participant(unit), make.manager(unit)
    db.session.commit()
    scopes = (f"participant:{person.id}", f"unit:{unit.id}")
    before = [_version(scope) for scope in scopes]
    book_team(manager, session, [person])
    db.session.commit()
    assert [_version(scope) for scope in scopes] == [v + 1 for v in before]
