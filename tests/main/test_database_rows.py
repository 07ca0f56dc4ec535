"""`ktc.database.rows` runs a booking's statements past SQLAlchemy's execution on PostgreSQL (compiled
once, sent through psycopg): its rows must be the rows SQLAlchemy gives, values converted by the same
column types, and what SQLAlchemy does around an execution must still happen (statement events, the
errors it raises, a dead connection marked so that the request is tried again)."""
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, create_engine, event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from ktc.accounts.operations import _COOKIE_USER
from ktc.bookings.models import Booking
from ktc.bookings.operations import _insert_booking_statement, _to_book
from ktc.database import UTCDateTime, first, rows, utcnow
from ktc.extensions import db


@pytest.fixture
def postgres_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite `rows` is SQLAlchemy's execute")


@contextmanager
def _statement_events():
    seen = []

    def before(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(("before", statement))

    def after(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(("after", statement))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)


def test_the_rows_are_sqlalchemys_rows(app, make):
    manager = make.user("unit_manager")
    session = make.session(capacity=6)
    db.session.commit()
    for stmt, params in ((_COOKIE_USER, {"user_id": manager.id}), (_to_book(True), {"session_id": session.id})):
        with _statement_events() as seen:
            lean = rows(stmt, params)
        expected = db.session.connection().execute(stmt, params).all()
        assert [tuple(row) for row in lean] == [tuple(row) for row in expected] and len(lean) == 1
        # The statement events still reach who listens (the tests' statement counts, bench/profile_page.py's
        # timings), before and after the statement.
        assert [event for event, _statement in seen] == ["before", "after"]
        assert seen[0][1] == seen[1][1] and seen[0][1].lstrip().startswith("SELECT")
    if db.engine.dialect.name == "postgresql":
        # psycopg gives a timestamp in the connection's time zone; the column type gives it in UTC.
        db.session.connection().execute(text("SET LOCAL TIME ZONE 'Europe/Stockholm'"))
    row = first(_to_book(True), {"session_id": session.id})
    # Columns by name, and datetimes as the column type gives them: aware, in UTC.
    assert (row.id, row.capacity, row.seats_municipal) == (session.id, 6, 0)
    assert row.start_at == session.start_at and row.start_at.utcoffset() == timedelta(0)
    assert first(_to_book(True), {"session_id": session.id + 1000}) is None


def test_a_parameter_goes_through_its_column_type(app):
    at = datetime(2026, 12, 2, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    stmt = select(bindparam("at", type_=UTCDateTime()).label("at"))
    assert first(stmt, {"at": at}).at == at
    with pytest.raises(StatementError, match="naive datetime"):
        rows(stmt, {"at": at.replace(tzinfo=None)})


def test_a_unique_key_taken_is_sqlalchemys_integrity_error(app, make):
    """A 409 for a concurrent duplicate rests on it (ktc.web.App.dispatch_request)."""
    session = make.session(capacity=6)
    person = make.participant()
    db.session.commit()
    now = utcnow()
    values = {
        "session_id": session.id, "participant_id": person.id, "side": "municipal", "status": "confirmed",
        "booked_by_id": None, "booked_at": now, "queued_at": now, "confirmed_at": now, "cancelled_at": None,
        "cancelled_by_id": None, "cancel_reason": None, "attendance_at": None, "attendance_by_id": None,
        "feed_revision": 0, "feed_revised_at": now, "ical_sequence": 0, "reply_status": None, "replied_at": None,
    }
    booking_id = first(_insert_booking_statement(), values).id
    assert db.session.get(Booking, booking_id).participant_id == person.id
    with pytest.raises(IntegrityError):
        rows(_insert_booking_statement(), values)
    db.session.rollback()


def test_a_list_written_out_item_by_item_is_refused(app, postgres_only):
    """An expanding IN is SQL that changes with each list: it cannot be compiled once."""
    from ktc.accounts.models import User

    with pytest.raises(ValueError, match="item by item"):
        rows(select(User.id).where(User.id.in_(bindparam("ids", expanding=True))), {"ids": [1, 2]})


def test_a_dead_connection_is_marked_for_the_retry(app, database_url, make, postgres_only):
    user_id = make.user("admin").id
    db.session.commit()
    pid = db.session.connection().execute(text("SELECT pg_backend_pid()")).scalar()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        engine.dispose()
    with pytest.raises(OperationalError) as caught:
        rows(_COOKIE_USER, {"user_id": user_id})
    # What retry_after_lost_connection asks of the error; the pool lets the connection go.
    assert caught.value.connection_invalidated
    db.session.rollback()
    assert first(_COOKIE_USER, {"user_id": user_id}).id == user_id
