"""The roster as saved now reads the rows again, not what this transaction loaded before.

The roster grid compares what the page showed with what is saved under the session's lock
(`roster_now`), so that a save does not overwrite a row someone else saved meanwhile. Rows this
transaction had already loaded must be read again from the database there: another instructor's
save that committed in between is what the comparison is for. On PostgreSQL (READ COMMITTED) a
second connection's commit is visible to the next statement, so no threads are needed; SQLite
runs one writing transaction at a time.
"""
import pytest
from sqlalchemy import update

from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.records import operations as ops
from ktc.records.models import SkillRecord


def test_the_roster_under_the_lock_shows_a_save_committed_after_it_was_first_read(make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: no other save can commit in between")
    instructor = make.user("instructor")
    cpr = make.skill(code="HLR")
    session = make.session(make.station(skills=[cpr]), start=make.local(2025, 1, 14), instructors=[instructor])
    anna = make.participant(name="Anna")
    booking = make.booking(session, anna, status="attended")
    record = make.skill_record(anna, cpr, "practised", session_=session)
    db.session.commit()

    [(shown, records)] = ops.roster(session)          # the page as drawn: loaded into this transaction
    assert (shown.status, records[cpr.id].outcome) == ("attended", "practised")
    with db.engine.begin() as other:                  # another instructor's save commits meanwhile
        other.execute(update(Booking).where(Booking.id == booking.id).values(status="no_show"))
        other.execute(update(SkillRecord).where(SkillRecord.id == record.id).values(outcome="demonstrated"))

    [(saved, records)] = ops.roster_now(session)
    assert (saved.status, records[cpr.id].outcome) == ("no_show", "demonstrated")
    db.session.rollback()
