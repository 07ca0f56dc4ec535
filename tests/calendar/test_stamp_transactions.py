"""A feed's version rises exactly when the transaction that changed it commits, whatever savepoints it used."""
import sys

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


def _commit_time_writes(session):
    """What the commit writes first, sent now: on PostgreSQL the writes kept for the commit (an audit
    entry here) with the feeds' versions, as the one statement a booking's commit sends."""
    from ktc.database import _write_at_commit

    _write_at_commit(session)


def _stamp(person_id, unit_id):
    """Mark a booking's feeds and write their versions now, holding the rows' locks until the commit."""
    from ktc import audit
    from ktc.calendar import stamps

    def work():
        stamps.people_changed([(person_id, unit_id)])
        audit.record(None, "booking.created", object_type="booking", participant=person_id)
        _commit_time_writes(db.session())
        return "stamped"
    return work


def _two_writers_stamp_one_unit(app, make):
    from ktc.calendar import stamps
    from ktc.database import utcnow
    from tests.staging import hold_then_start

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE): the two cannot interleave")
    unit = make.unit()
    first, second = make.participant(unit), make.participant(unit)
    db.session.commit()
    scope = f"unit:{unit.id}"
    # The unit's feed has a version already (the control's UPDATE needs a row).
    db.session.execute(stamps._stamp_statement(db.engine.dialect.name), {"scope": scope, "changed_at": utcnow()})
    db.session.commit()
    before = _version(scope)
    db.session.commit()
    outcomes = hold_then_start(app, ("first", _stamp(first.id, unit.id)), ("second", _stamp(second.id, unit.id)))
    assert outcomes == {"first": "stamped", "second": "stamped"}
    db.session.expire_all()
    return _version(scope) - before


def test_two_bookings_in_one_unit_at_once_both_renew_its_feed(app, make):
    """The unit's version is raised in the database (`version = version + 1` on conflict), not read and
    written back: the second writer waits for the first's row and raises it again, so a calendar
    that fetched the feed between the two commits sees a new ETag after the second."""
    assert _two_writers_stamp_one_unit(app, make) == 2


def test_control_a_read_then_write_stamp_loses_the_first_writers_change(app, make, monkeypatch):
    from sqlalchemy import update

    from ktc.calendar import stamps

    def read_then_write(session):
        conn = session.connection()
        for scope in sorted(session.info.pop(stamps._PENDING, ())):
            version = conn.execute(select(CalendarStamp.version).where(CalendarStamp.scope == scope)).scalar() or 0
            conn.execute(update(CalendarStamp).where(CalendarStamp.scope == scope).values(version=version + 1))

    monkeypatch.setattr(sys.modules[__name__], "_commit_time_writes", read_then_write)
    assert _two_writers_stamp_one_unit(app, make) == 1
