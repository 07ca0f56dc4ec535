"""PostgreSQL: refreshing a session's kept figures locks that session's row, and only it (mutation
testing, docs/MUTATION.md): a refresh that locked every session would make each answer, attendance
or sign-off anywhere wait for every other one in the region until its commit."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ktc.network.stats import refresh_session_stats


def _try_lock(connection, session_id):
    """Whether another transaction can lock the session's row right now (without waiting)."""
    try:
        with connection.begin():
            connection.execute(text("SELECT id FROM sessions WHERE id = :id FOR UPDATE NOWAIT"), {"id": session_id})
        return True
    except OperationalError as error:
        assert "could not obtain lock" in str(error)
        return False


def test_a_refresh_locks_its_own_session_and_no_other(app, db, make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks (one writer at a time)")
    station = make.plain_station()
    ours, other = make.completed_session(station), make.completed_session(station, start=make.local(2024, 3, 6, 9))
    db.session.commit()

    refresh_session_stats([ours.id])  # the transaction stays open
    with db.engine.connect() as connection:
        assert _try_lock(connection, other.id)
        assert not _try_lock(connection, ours.id)
    db.session.rollback()
