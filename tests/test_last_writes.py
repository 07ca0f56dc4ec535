"""Writes kept for the commit (ktc.database.write_at_commit): a booking's outbox event and audit entry go,
on PostgreSQL, with the feeds' versions as the transaction's last statement. The rows are the same as
when each was its own statement: written once, in the order they were made, with their defaults,
gone with a rollback, kept through a rolled-back savepoint, and found by a read in the transaction."""
import json
import re

import pytest
from sqlalchemy import event, select

from ktc.audit.models import AuditEntry
from ktc.bookings.operations import book_team
from ktc.calendar.models import CalendarStamp
from ktc.database import savepoint, write_at_commit
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.mail.outbox import enqueue_event


def _postgresql():
    return db.engine.dialect.name == "postgresql"


class _Sent(list):
    """The statements sent to the database while the block runs, COMMIT included."""

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._statement)
        event.listen(db.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._statement)
        event.remove(db.engine, "commit", self._commit)

    def _statement(self, _conn, _cursor, statement, *_args):
        self.append(" ".join(statement.split()))

    def _commit(self, _conn):
        self.append("COMMIT")


@pytest.fixture
def team(make):
    kommun, manager, people = make.team(10)
    session = make.session(capacity=4)
    db.session.commit()
    return manager, session, people, kommun


def _entries():
    return db.session.execute(select(AuditEntry.object_id, AuditEntry.details).where(
        AuditEntry.action == "booking.created").order_by(AuditEntry.id)).all()


def _events():
    return db.session.execute(select(OutboxMessage.booking_id, OutboxMessage.kind, OutboxMessage.status,
                                     OutboxMessage.attempts, OutboxMessage.next_attempt_at,
                                     OutboxMessage.created_at).order_by(OutboxMessage.id)).all()


def test_a_bookings_event_entry_and_feed_versions_are_one_statement_just_before_the_commit(team):
    manager, session, people, kommun = team
    stamps_before = dict(db.session.execute(select(CalendarStamp.scope, CalendarStamp.version)).all())
    with _Sent() as sent:
        (result,) = book_team(manager, session, people[:1])
        db.session.commit()
    booking_id = result.booking.id
    writes = [s for s in sent if re.search(r"INSERT INTO (outbox|audit_log|calendar_stamps)\b", s)]
    if _postgresql():
        (last,) = writes
        assert sent[-2:] == [last, "COMMIT"]
        assert [t for t in ("outbox", "audit_log", "calendar_stamps") if f"INSERT INTO {t} " in last] == [
            "outbox", "audit_log", "calendar_stamps"]
        assert last.startswith("WITH ")
    else:
        # SQLite takes no INSERT inside a WITH: each is its own statement, the versions last.
        assert len(writes) == 3 and "calendar_stamps" in writes[-1]
    # The rows are as they were when each had its own INSERT: the defaults given, written once.
    ((event_booking, kind, status, attempts, next_attempt_at, created_at),) = _events()
    assert (event_booking, kind, status, attempts) == (booking_id, "booking_confirmed", "pending", 0)
    assert next_attempt_at is not None and created_at is not None
    assert [(object_id, json.loads(details)) for object_id, details in _entries()] == [
        (booking_id, {"session": session.id, "status": "confirmed"})]
    stamps_after = dict(db.session.execute(select(CalendarStamp.scope, CalendarStamp.version)).all())
    for scope in (f"participant:{people[0].id}", f"unit:{kommun.id}"):
        assert stamps_after[scope] == stamps_before.get(scope, 0) + 1


def test_a_large_team_is_written_in_order_in_statements_of_at_most_sixteen_writes(team):
    """Ten people: ten events, ten entries and the versions, 21 writes, in two statements on PostgreSQL;
    the entries and events get their ids in the order the people were booked."""
    manager, session, people, _kommun = team
    with _Sent() as sent:
        results = book_team(manager, session, people)
        db.session.commit()
    booked = [r.booking.id for r in results]
    assert [r.status for r in results] == ["confirmed"] * 4 + ["waitlisted"] * 6
    if _postgresql():
        writes = [s for s in sent if re.search(r"INSERT INTO (outbox|audit_log)\b", s)]
        assert len(writes) == 2
        assert sum(s.count("INSERT INTO ") for s in writes) == 21
    assert [object_id for object_id, _details in _entries()] == booked
    assert [e[0] for e in _events()] == booked
    assert [e[1] for e in _events()] == ["booking_confirmed"] * 4 + ["booking_waitlisted"] * 6


def test_a_rollback_takes_the_kept_writes_with_it(team):
    manager, session, people, _kommun = team
    book_team(manager, session, people[:2])
    db.session.rollback()
    db.session.commit()  # a transaction with nothing of the booking in it: nothing is sent now
    assert _entries() == [] and _events() == []


def test_a_rolled_back_savepoint_leaves_the_writes_kept_before_it(team):
    manager, session, people, _kommun = team
    (result,) = book_team(manager, session, people[:1])
    with pytest.raises(RuntimeError):
        with savepoint():
            enqueue_event("booking_cancelled", "undone", "someone@example.org", result.booking.id)
            raise RuntimeError("the savepoint is rolled back")
    db.session.commit()
    assert [object_id for object_id, _details in _entries()] == [result.booking.id]
    assert [(e[0], e[1]) for e in _events()] == [(result.booking.id, "booking_confirmed")]


def test_a_read_in_the_transaction_finds_the_kept_rows(team):
    manager, session, people, _kommun = team
    (result,) = book_team(manager, session, people[:1])
    # No commit: the ORM's next statement sends what was kept first.
    assert [object_id for object_id, _details in _entries()] == [result.booking.id]
    assert [(e[0], e[1]) for e in _events()] == [(result.booking.id, "booking_confirmed")]
    db.session.commit()
    assert len(_entries()) == 1 and len(_events()) == 1


def test_an_event_queued_at_once_comes_after_one_kept_for_the_commit(team):
    """A booking's first event is kept for the commit; a later event for the same booking in the same
    transaction (a cancel, say) is queued at once and must still be sent after it: it goes after the kept
    one, and so gets the higher id (the sender sends in id order)."""
    manager, session, people, _kommun = team
    (result,) = book_team(manager, session, people[:1])
    enqueue_event("booking_cancelled", f"b{result.booking.id}:later", people[0].email, result.booking.id)
    db.session.commit()
    assert [(e[0], e[1]) for e in _events()] == [(result.booking.id, "booking_confirmed"),
                                                  (result.booking.id, "booking_cancelled")]


def test_inside_a_savepoint_a_kept_write_is_sent_at_once(team):
    """A write kept inside a savepoint that is rolled back would outlive it: inside one it is sent at once."""
    _manager, _session, _people, _kommun = team
    from ktc.audit import _INSERT
    from ktc.database import utcnow

    entry = {"actor_id": None, "action": "probe", "object_type": "", "object_id": None, "details": "{}"}
    with pytest.raises(RuntimeError):
        with savepoint():
            write_at_commit(_INSERT, {**entry, "at": utcnow()})
            raise RuntimeError("the savepoint is rolled back")
    write_at_commit(_INSERT, {**entry, "action": "kept", "at": utcnow()})
    db.session.commit()
    assert db.session.execute(select(AuditEntry.action).where(AuditEntry.action.in_(("probe", "kept")))).scalars(
    ).all() == ["kept"]


def test_a_write_after_a_kept_one_comes_after_it(team):
    """`write` (the Core writes of the hot path) sends the kept writes first: statements reach the
    database in the order they were made, whatever was kept."""
    from ktc.audit import _INSERT
    from ktc.database import utcnow, write

    entry = {"actor_id": None, "object_type": "", "object_id": None, "details": "{}"}
    write_at_commit(_INSERT, {**entry, "action": "first", "at": utcnow()})
    write(_INSERT, {**entry, "action": "second", "at": utcnow()})
    db.session.commit()
    assert db.session.execute(select(AuditEntry.action).where(AuditEntry.action.in_(("first", "second")))
                              .order_by(AuditEntry.id)).scalars().all() == ["first", "second"]
