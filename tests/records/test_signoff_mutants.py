"""One person's row saved again and again: the audit trail, the record's fields and the kept figures
after each kind of change on its own (answers to mutants of `_apply_row` in ktc/records/operations.py)."""
import json
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from ktc.audit.models import AuditEntry
from ktc.extensions import db
from ktc.network.stats import kept_figures
from ktc.records import operations as ops
from ktc.records.models import SkillRecord

START = datetime(2025, 1, 14, 9, 0, tzinfo=timezone.utc)


def _trail(since):
    return [(e.actor_id, e.action, e.object_type, e.object_id, json.loads(e.details))
            for e in db.session.execute(
                select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)).scalars()]


def _last_id():
    return db.session.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)).scalar() or 0


def _demonstrated(session):
    return kept_figures([session.id])[0].get(session.id, {}).get("demonstrated_municipal", 0)


def test_each_change_to_a_row_is_audited_kept_and_counted(make):
    instructor, admin = make.user("instructor"), make.user("admin")
    cpr, lift = make.skill(code="HLR", refresh_months=12), make.skill(code="LYFT", refresh_months=24)
    session = make.session(make.station(skills=[cpr, lift]), start=START, instructors=[instructor])
    anna = make.participant(name="Anna")
    booking = make.booking(session, anna)
    db.session.commit()
    sid, pid = session.id, anna.id

    def save(actor, at, attended, outcomes=None, comments=None):
        since = _last_id()
        ops.record_attendance(actor, session, [{"participant_id": pid, "attended": attended,
                                                "outcomes": outcomes or {}, "comments": comments or {}}], now=at)
        db.session.commit()
        return _trail(since)

    def record(skill):
        return db.session.execute(select(SkillRecord).where(
            SkillRecord.session_id == sid, SkillRecord.skill_id == skill.id)).scalar_one_or_none()

    # 1. Attended, lifting practised: the attendance and a new sign-off.
    t1 = START + timedelta(hours=3)
    trail = save(instructor, t1, True, {lift.id: "practised"})
    lift_id = record(lift).id
    assert trail == [
        (instructor.id, "attendance.set", "booking", booking.id,
         {"session_id": sid, "participant_id": pid, "before": "confirmed", "after": "attended"}),
        (instructor.id, "signoff.recorded", "skillrecord", lift_id,
         {"outcome": "practised", "valid_until": None, "comment": "",
          "session_id": sid, "participant_id": pid, "skill_id": lift.id}),
    ]
    assert (booking.status, booking.attendance_at, booking.attendance_by_id) == ("attended", t1, instructor.id)
    assert _demonstrated(session) == 0

    # 2. Only a new sign-off (the attendance stands): CPR demonstrated, with a comment.
    trail = save(instructor, t1, True, {cpr.id: "demonstrated"}, {cpr.id: " Bra tryck "})
    cpr_record = record(cpr)
    assert trail == [
        (instructor.id, "signoff.recorded", "skillrecord", cpr_record.id,
         {"outcome": "demonstrated", "valid_until": "2026-01-14", "comment": "Bra tryck",
          "session_id": sid, "participant_id": pid, "skill_id": cpr.id}),
    ]
    assert (cpr_record.comment, cpr_record.valid_until) == ("Bra tryck", date(2026, 1, 14))
    assert _demonstrated(session) == 1

    # 3. Only an outcome changed, by someone else later: lifting now demonstrated (comment kept).
    t3 = t1 + timedelta(days=1)
    trail = save(admin, t3, True, {lift.id: "demonstrated"})
    assert trail == [
        (admin.id, "signoff.changed", "skillrecord", lift_id,
         {"before": "practised", "after": "demonstrated", "comment_before": "", "comment_after": "",
          "valid_until": "2027-01-14", "session_id": sid, "participant_id": pid, "skill_id": lift.id}),
    ]
    changed = record(lift)
    assert (changed.outcome, changed.valid_until, changed.signed_by_id, changed.signed_at) == (
        "demonstrated", date(2027, 1, 14), admin.id, t3)
    assert _demonstrated(session) == 2

    # 4. Only a comment changed.
    trail = save(instructor, t3, True, {cpr.id: "demonstrated"}, {cpr.id: "Djupare"})
    assert [(action, details["comment_before"], details["comment_after"]) for _a, action, _t, _i, details in trail] \
        == [("signoff.changed", "Bra tryck", "Djupare")]
    assert record(cpr).comment == "Djupare"

    # 5. Only a sign-off removed.
    trail = save(instructor, t3, True, {cpr.id: None})
    assert trail == [
        (instructor.id, "signoff.removed", "skillrecord", cpr_record.id,
         {"before": "demonstrated", "session_id": sid, "participant_id": pid, "skill_id": cpr.id}),
    ]
    assert record(cpr) is None
    assert _demonstrated(session) == 1

    # 6. Did not come after all (the grid sends the emptied outcomes along): her sign-offs go.
    trail = save(instructor, t3, False, {cpr.id: None, lift.id: None})
    assert [(action, details.get("before"), details.get("after")) for _a, action, _t, _i, details in trail] == [
        ("attendance.set", "attended", "no_show"), ("signoff.removed", "demonstrated", None)]
    assert record(lift) is None and booking.status == "no_show"
    assert kept_figures([sid])[0] == {}
