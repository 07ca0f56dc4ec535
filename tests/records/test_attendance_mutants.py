"""Attendance, sign-off and completion at their edges (answers to mutants of ktc/records/operations.py).

The start and the end of a session to the second, the clock given to an operation rather than
the machine's, the automatic completion's audit entry and return value, the kept figures after a
save whose last row changed nothing, and one person's bookings and records in another session.
"""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ktc.audit.models import AuditEntry
from ktc.extensions import db
from ktc.network.stats import kept_figures
from ktc.records import operations as ops
from ktc.records.models import SkillRecord

# A fixed clock well away from the machine's: an operation that used the machine's clock instead
# of the one it was given would show it.
START = datetime(2025, 1, 14, 9, 0, tzinfo=timezone.utc)
END = START + timedelta(hours=2)


def _audit(action):
    return db.session.execute(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).scalars().all()


@pytest.fixture
def held(make):
    """A session on 14 January 2025, 09:00–11:00 UTC, with two people booked and one skill."""
    instructor = make.user("instructor")
    cpr = make.skill(name="HLR", refresh_months=12)
    session = make.session(make.station(skills=[cpr]), start=START, hours=2, instructors=[instructor])
    anna, bo = make.participant(name="Anna"), make.participant(name="Bo")
    bookings = make.booking(session, anna), make.booking(session, bo)
    db.session.commit()
    return {"instructor": instructor, "cpr": cpr, "session": session, "anna": anna, "bo": bo, "bookings": bookings}


def test_attendance_can_be_recorded_from_the_very_start_and_not_a_second_before(held):
    s, instructor, anna = held["session"], held["instructor"], held["anna"]
    with pytest.raises(ops.SessionNotStarted):
        ops.record_attendance(instructor, s, [{"participant_id": anna.id, "attended": True}],
                              now=START - timedelta(seconds=1))
    ops.record_attendance(instructor, s, [{"participant_id": anna.id, "attended": True}], now=START)
    assert held["bookings"][0].status == "attended"


def test_a_running_session_cannot_be_completed_and_one_that_just_ended_can(held):
    s, instructor = held["session"], held["instructor"]
    with pytest.raises(ops.SessionNotEnded):
        ops.complete_session(instructor, s, now=END - timedelta(seconds=1))
    assert s.status == "scheduled"
    ops.complete_session(instructor, s, now=END)
    assert (s.status, s.completed_at, s.updated_at) == ("completed", END, END)
    # The instructor's completion is audited under their name, on the session.
    [entry] = _audit("session.completed")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (instructor.id, "session", s.id)


def test_signing_off_everyone_is_dated_by_the_clock_given(held):
    s, instructor, cpr = held["session"], held["instructor"], held["cpr"]
    at = END + timedelta(minutes=5)
    ops.mark_all_attended_demonstrated(instructor, s, now=at)
    assert {b.attendance_at for b in held["bookings"]} == {at}
    records = db.session.execute(select(SkillRecord).where(SkillRecord.session_id == s.id)).scalars().all()
    assert {(r.skill_id, r.outcome, r.signed_at) for r in records} == {(cpr.id, "demonstrated", at)}


def test_the_kept_figures_follow_a_save_whose_last_row_changed_nothing(held):
    s, instructor, anna, bo = held["session"], held["instructor"], held["anna"], held["bo"]
    ops.record_attendance(instructor, s, [{"participant_id": bo.id, "attended": True}], now=END)
    assert kept_figures([s.id])[0] == {s.id: {"attended_municipal": 1}}
    # Anna attended (a change), Bo is saved as he was (no change): the figures count both.
    ops.record_attendance(instructor, s, [
        {"participant_id": anna.id, "attended": True},
        {"participant_id": bo.id, "attended": True},
    ], now=END)
    assert kept_figures([s.id])[0] == {s.id: {"attended_municipal": 2}}


def test_a_refusal_names_the_person_and_the_outcome(held):
    s, instructor, cpr = held["session"], held["instructor"], held["cpr"]
    with pytest.raises(ops.NotBooked) as refused:
        ops.record_attendance(instructor, s, [{"participant_id": 987654, "attended": True}], now=END)
    assert str(refused.value) == "Deltagare 987654 har ingen plats på det här träningstillfället."
    assert refused.value.participant_id == 987654
    with pytest.raises(ops.InvalidOutcome) as refused:
        ops.record_attendance(instructor, s, [
            {"participant_id": held["anna"].id, "attended": True, "outcomes": {cpr.id: "brilliant"}}], now=END)
    assert "brilliant" in str(refused.value)


def test_the_roster_and_a_save_keep_to_their_session(held, make):
    """Anna is booked in another session too, with a sign-off there: this session's roster and saves
    neither show nor touch it."""
    s, instructor, cpr, anna = held["session"], held["instructor"], held["cpr"], held["anna"]
    other = make.session(s.station, start=START - timedelta(days=7), instructors=[instructor])
    cecilia = make.participant(name="Cecilia")
    make.booking(other, anna, status="attended")
    make.booking(other, cecilia)
    earlier = make.skill_record(anna, cpr, session_=other)
    db.session.commit()

    rows = ops.roster(s)
    assert [(b.session_id, b.participant.name) for b, _records in rows] == [(s.id, "Anna"), (s.id, "Bo")]
    assert [records for _b, records in rows] == [{}, {}]
    assert ops.session_records(s) == {}
    with pytest.raises(ops.NotBooked):
        ops.record_attendance(instructor, s, [{"participant_id": cecilia.id, "attended": True}], now=END)
    db.session.rollback()

    # Anna did not come to this one: her sign-off from the other session stays.
    ops.record_attendance(instructor, s, [{"participant_id": anna.id, "attended": False}], now=END)
    db.session.commit()
    assert db.session.get(SkillRecord, earlier.id) is not None
    assert held["bookings"][0].status == "no_show"


def test_the_roster_is_by_name_whatever_the_booking_order(make):
    instructor = make.user("instructor")
    session = make.session(make.station(skills=[make.skill()]), start=START, instructors=[instructor])
    for name in ("Cecilia", "anna", "Bo"):
        make.booking(session, make.participant(name=name))
    db.session.commit()
    assert [b.participant.name for b, _records in ops.roster(session)] == ["anna", "Bo", "Cecilia"]
    assert [b.participant.name for b, _records in ops.roster_now(session)] == ["anna", "Bo", "Cecilia"]


def test_the_automatic_completion_by_the_clock_given_to_the_second(app, make):
    hours = 6
    now = END + timedelta(hours=hours)
    station = make.station(skills=[make.skill()])
    due = make.session(station, start=START, hours=2)                                   # ended 6 h ago exactly
    not_yet = make.session(station, start=START + timedelta(seconds=1), hours=2)       # a second short
    db.session.commit()

    assert ops.complete_finished_sessions(now=now, after_hours=hours) == [due.id]
    db.session.commit()
    db.session.expire_all()
    assert (due.status, due.completed_at, due.updated_at) == ("completed", now, now)
    assert not_yet.status == "scheduled"
    [entry] = _audit("session.completed")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (None, "session", due.id)
    assert json.loads(entry.details) == {"automatic": True}


def test_the_automatic_completion_waits_the_hours_asked_for(app, make):
    """`after_hours` given wins over the setting (which is more than 1 hour)."""
    assert app.config["KTC_AUTO_COMPLETE_HOURS"] > 1
    station = make.station(skills=[make.skill()])
    session = make.session(station, start=START, hours=2)
    db.session.commit()
    assert ops.complete_finished_sessions(now=END + timedelta(hours=1), after_hours=1) == [session.id]


def test_an_empty_outcome_removes_the_sign_off_like_none(held):
    """What an emptied choice in a form or an API client sends: "" is no outcome, not an unknown one."""
    s, instructor, cpr, anna = held["session"], held["instructor"], held["cpr"], held["anna"]
    ops.record_attendance(instructor, s, [{"participant_id": anna.id, "attended": True,
                                           "outcomes": {cpr.id: "demonstrated"}}], now=END)
    ops.record_attendance(instructor, s, [{"participant_id": anna.id, "attended": True,
                                           "outcomes": {str(cpr.id): ""}}], now=END)
    assert ops.session_records(s) == {}
