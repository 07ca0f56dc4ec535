"""Attendance and sign-off: the bulk action, single changes, audit, permissions, completion."""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ktc.audit.models import AuditEntry
from ktc.database import utcnow
from ktc.errors import PermissionDenied
from ktc.extensions import db
from ktc.records import operations as ops
from ktc.records.models import SkillRecord


def _audit(action=None):
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.execute(stmt).scalars().all()


def _records(session):
    rows = db.session.execute(select(SkillRecord).where(SkillRecord.session_id == session.id)).scalars()
    return {(r.participant_id, r.skill_id): r for r in rows}


@pytest.fixture
def setup(make):
    instructor = make.user("instructor")
    cpr = make.skill(name="HLR", refresh_months=12)
    hygiene = make.skill(name="Basal hygien", refresh_months=None)
    station = make.station(skills=[cpr, hygiene])
    # 2025-03-01 00:30 in Stockholm is still 28 February in UTC: the local date must be used.
    session = make.session(station, start=make.local(2025, 3, 1, 0, 30), instructors=[instructor])
    people = [make.participant(name=n) for n in ("Anna", "Bo", "Cecilia")]
    regional = make.participant(side="regional", name="Dan")
    bookings = [make.booking(session, p) for p in people] + [make.booking(session, regional)]
    waiting = make.booking(session, make.participant(name="Eva"), status="waitlisted")
    cancelled = make.booking(session, make.participant(name="Fia"), status="cancelled")
    db.session.commit()
    return {"instructor": instructor, "cpr": cpr, "hygiene": hygiene, "session": session, "people": people,
            "bookings": bookings, "waiting": waiting, "cancelled": cancelled, "regional": regional}


def test_bulk_then_single_changes(setup):
    s, instructor, cpr, hygiene = setup["session"], setup["instructor"], setup["cpr"], setup["hygiene"]
    anna, bo, cecilia = setup["people"]
    seats = (s.seats_municipal, s.seats_regional)

    touched = ops.mark_all_attended_demonstrated(instructor, s)
    db.session.commit()
    assert len(touched) == 4
    assert {b.status for b in setup["bookings"]} == {"attended"}
    assert setup["waiting"].status == "waitlisted" and setup["cancelled"].status == "cancelled"
    records = _records(s)
    assert len(records) == 8
    assert all(r.outcome == "demonstrated" and r.signed_by_id == instructor.id for r in records.values())
    assert records[(anna.id, cpr.id)].valid_until == date(2026, 3, 1)   # local date + 12 months
    assert records[(anna.id, hygiene.id)].valid_until is None            # never expires
    assert (s.seats_municipal, s.seats_regional) == seats                # counters unchanged
    assert len(_audit("attendance.set")) == 4
    assert len(_audit("signoff.recorded")) == 8

    # Then single rows change: Bo did not come; Cecilia needs more practice in CPR.
    ops.record_attendance(instructor, s, [
        {"participant_id": bo.id, "attended": False, "outcomes": {}},
        {"participant_id": cecilia.id, "attended": True, "outcomes": {str(cpr.id): "needs_practice"},
         "comments": {cpr.id: "Kompressionsdjupet"}},
    ])
    db.session.commit()
    records = _records(s)
    assert setup["bookings"][1].status == "no_show"
    assert (bo.id, cpr.id) not in records and (bo.id, hygiene.id) not in records
    changed = records[(cecilia.id, cpr.id)]
    assert (changed.outcome, changed.valid_until, changed.comment) == ("needs_practice", None, "Kompressionsdjupet")
    assert records[(cecilia.id, hygiene.id)].outcome == "demonstrated"   # left out: unchanged
    assert records[(anna.id, cpr.id)].outcome == "demonstrated"
    removed = _audit("signoff.removed")
    assert len(removed) == 2 and all(json.loads(e.details)["participant_id"] == bo.id for e in removed)
    change = json.loads(_audit("signoff.changed")[0].details)
    assert (change["before"], change["after"], change["comment_after"]) == ("demonstrated", "needs_practice",
                                                                            "Kompressionsdjupet")
    no_show = json.loads(_audit("attendance.set")[-1].details)
    assert (no_show["before"], no_show["after"]) == ("attended", "no_show")

    # Saving the same again changes nothing and logs nothing.
    count = len(_audit())
    ops.record_attendance(instructor, s, [
        {"participant_id": cecilia.id, "attended": True, "outcomes": {cpr.id: "needs_practice"}},
    ])
    assert len(_audit()) == count

    # Null removes a single sign-off; a no-show can come back as attended.
    ops.record_attendance(instructor, s, [
        {"participant_id": anna.id, "attended": True, "outcomes": {cpr.id: None}},
        {"participant_id": bo.id, "attended": True, "outcomes": {hygiene.id: "practised"}},
    ])
    records = _records(s)
    assert (anna.id, cpr.id) not in records and (anna.id, hygiene.id) in records
    assert setup["bookings"][1].status == "attended" and records[(bo.id, hygiene.id)].outcome == "practised"


def test_admin_may_record_any_session_and_other_instructors_not(setup, make):
    s, anna = setup["session"], setup["people"][0]
    with pytest.raises(PermissionDenied):
        ops.record_attendance(make.user("instructor"), s, [{"participant_id": anna.id, "attended": True}])
    with pytest.raises(PermissionDenied):
        ops.mark_all_attended_demonstrated(make.user("manager"), s)
    ops.record_attendance(make.user("admin"), s, [{"participant_id": anna.id, "attended": True}])
    assert setup["bookings"][0].status == "attended"


@pytest.mark.parametrize("entry, error", [
    (lambda d: {"participant_id": d["waiting"].participant_id, "attended": True}, ops.NotBooked),
    (lambda d: {"participant_id": d["cancelled"].participant_id, "attended": True}, ops.NotBooked),
    (lambda d: {"participant_id": d["people"][0].id, "attended": True, "outcomes": {"999999": "practised"}},
     ops.SkillNotCovered),
    (lambda d: {"participant_id": d["people"][0].id, "attended": True, "outcomes": {d["cpr"].id: "great"}},
     ops.InvalidOutcome),
    (lambda d: {"participant_id": d["people"][0].id, "attended": False, "outcomes": {d["cpr"].id: "practised"}},
     ops.OutcomeWithoutAttendance),
])
def test_invalid_entries_are_refused(setup, entry, error):
    with pytest.raises(error):
        ops.record_attendance(setup["instructor"], setup["session"], [entry(setup)])


def test_not_before_start_and_not_when_cancelled(setup, make):
    instructor = setup["instructor"]
    later = make.session(make.station(skills=[make.skill()]), start=make.future(2), instructors=[instructor])
    person = make.participant()
    make.booking(later, person)
    with pytest.raises(ops.SessionNotStarted):
        ops.record_attendance(instructor, later, [{"participant_id": person.id, "attended": True}])
    with pytest.raises(ops.SessionNotStarted):
        ops.complete_session(instructor, later)
    setup["session"].status = "cancelled"
    with pytest.raises(ops.SessionCancelled):
        ops.mark_all_attended_demonstrated(instructor, setup["session"])


def test_complete_session(setup):
    s, instructor = setup["session"], setup["instructor"]
    ops.complete_session(instructor, s)
    assert s.status == "completed" and s.completed_at is not None
    first = s.completed_at
    ops.complete_session(instructor, s)
    assert s.completed_at == first
    assert len(_audit("session.completed")) == 1
    # Changes after the fact stay possible, and are audited.
    ops.mark_all_attended_demonstrated(instructor, s)
    assert len(_audit("signoff.recorded")) == 8


def test_auto_complete_job_completes_forgotten_sessions_once(app, make):
    from ktc.records.jobs import auto_complete_sessions

    now = utcnow()
    hours = app.config["KTC_AUTO_COMPLETE_HOURS"]
    station = make.station(skills=[make.skill()])
    forgotten = make.session(station, start=now - timedelta(hours=hours + 3), hours=2)      # ended hours+1 ago
    recent = make.session(station, start=now - timedelta(hours=hours + 1, minutes=30), hours=2)  # ended h-0.5 ago
    cancelled = make.session(station, start=now - timedelta(days=3), status="cancelled")
    db.session.commit()
    assert auto_complete_sessions(now=now) == 1
    assert auto_complete_sessions(now=now) == 0
    db.session.expire_all()
    assert forgotten.status == "completed" and forgotten.completed_at is not None
    assert recent.status == "scheduled" and cancelled.status == "cancelled"
    assert len(_audit("session.completed")) == 1


def test_skill_overview(make):
    unit = make.unit()
    cpr, lift, wound = make.skill(code="HLR"), make.skill(code="LYFT"), make.skill(code="SAR")
    person = make.participant(unit, profession=make.profession(skills=[cpr, lift]))
    today = date(2026, 6, 1)
    make.skill_record(person, cpr, valid_until=date(2026, 5, 31), start=make.local(2024, 5, 31))
    make.skill_record(person, cpr, "practised", start=make.local(2025, 1, 10))
    make.skill_record(person, wound, "practised")
    overview = ops.skill_overview(person, today, 60)
    assert [(i.skill.code, i.required, i.status) for i in overview] == [
        ("HLR", True, "expired"), ("LYFT", True, "missing"), ("SAR", False, "practised")]
    assert [r.outcome for r in overview[0].history] == ["practised", "demonstrated"]
    assert overview[0].latest.outcome == "practised" and overview[0].valid_until == date(2026, 5, 31)
