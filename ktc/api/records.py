"""API: attendance and sign-off for a session, and a participant's skill record."""
import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Boolean, Id, Schema, Text
from ktc.api.util import BadJSON, commit, get_or_404, iso, require
from ktc.i18n import local_today
from ktc.organisations.models import Participant
from ktc.records import operations as ops
from ktc.records.models import OUTCOMES, SkillRecord
from ktc.sessions.models import Session

NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}


class AttendanceEntry(Schema):
    inline = True
    participant_id = Id(required=True)
    attended = Boolean(required=True, metadata={"description": "false marks a no-show and removes their sign-offs"})
    outcomes = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(allow_none=True, metadata={"enum": [*OUTCOMES, None]}),
        allow_none=True, load_default=None, metadata={"description": (
            "Skill id (as a string key) → outcome; null removes that skill's sign-off from this session. "
            "Skills left out keep their record.")})
    comments = ma.fields.Dict(keys=ma.fields.String(), values=Text(max_length=2000, allow_empty=True),
                              allow_none=True, load_default=None,
                              metadata={"description": "Optional comment per skill id"})


class AttendanceInput(Schema):
    """{"entries": [...]}; a bare list of entries is accepted too."""

    bare_list_key = "entries"
    entries = ma.fields.List(ma.fields.Nested(AttendanceEntry), required=True,
                             validate=ma.validate.Length(min=1, max=500, error="required"))


class RecordedOutcome(Schema):
    inline = True
    outcome = ma.fields.String(required=True, metadata={"enum": list(OUTCOMES)})
    valid_until = ma.fields.String(required=True, allow_none=True, metadata={"format": "date"})
    comment = ma.fields.String(required=True)


class AttendanceResultEntry(Schema):
    inline = True
    participant_id = ma.fields.Integer(required=True)
    booking_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["confirmed", "attended", "no_show"]})
    outcomes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(RecordedOutcome), required=True)


class AttendanceResult(Schema):
    session_id = ma.fields.Integer(required=True)
    entries = ma.fields.List(ma.fields.Nested(AttendanceResultEntry), required=True)


class SkillHistory(Schema):
    inline = True
    session_id = ma.fields.Integer(required=True)
    date = ma.fields.String(required=True, metadata={"format": "date"})
    outcome = ma.fields.String(required=True, metadata={"enum": list(OUTCOMES)})
    valid_until = ma.fields.String(required=True, allow_none=True, metadata={"format": "date"})
    signed_by = ma.fields.String(required=True, allow_none=True)
    signed_at = ma.fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    comment = ma.fields.String(required=True)


class SkillStatus(Schema):
    inline = True
    skill_id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    required = ma.fields.Boolean(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["valid", "expiring", "expired", "practised", "missing"]})
    valid_until = ma.fields.String(required=True, allow_none=True, metadata={"format": "date"})
    latest_outcome = ma.fields.String(required=True, allow_none=True, metadata={"enum": [*OUTCOMES, None]})
    history = ma.fields.List(ma.fields.Nested(SkillHistory), required=True)


class SkillRecordOverview(Schema):
    participant_id = ma.fields.Integer(required=True)
    as_of = ma.fields.String(required=True, metadata={"format": "date"})
    expiry_window_days = ma.fields.Integer(required=True)
    skills = ma.fields.List(ma.fields.Nested(SkillStatus), required=True)


def _entries(data):
    entries = []
    for item in data["entries"]:
        try:
            comments = {int(k): v for k, v in (item["comments"] or {}).items()}
        except ValueError:
            raise BadJSON(_("comments must be keyed by skill id."), field="comments") from None
        entries.append({"participant_id": item["participant_id"], "attended": item["attended"],
                        "outcomes": item["outcomes"] or {}, "comments": comments})
    if len({e["participant_id"] for e in entries}) != len(entries):
        raise BadJSON(_("Each person may appear only once."))
    return entries


def _record_json(rec):
    return {"outcome": rec.outcome, "valid_until": iso(rec.valid_until), "comment": rec.comment}


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@bp.arguments(AttendanceInput, error_status_code=400, description=(
    "One entry per person with a seat (confirmed, attended or no-show). A bare list of entries is accepted too."))
@bp.response(200, AttendanceResult, description="The resulting attendance and records per person")
@bp.errors(403, 404, 409, 422)
@bp.doc(summary="Record attendance and skill outcomes (instructors of the session, admins)", tags=["Records"],
        description="Sets the booking to attended or no_show and signs off the outcomes; all entries are applied "
                    "or none. Every change is audited. A malformed body is a 400; a person without a seat, a skill "
                    "the session does not cover, an unknown outcome or an outcome for a no-show is a 422.")
def record_attendance(data, session_id):
    session = get_or_404(Session, session_id)
    require(policy.can_record_session(current_user, session))
    entries = _entries(data)
    bookings = ops.record_attendance(current_user, session, entries)
    commit()
    records = ops.session_records(session)
    return {
        "session_id": session.id,
        "entries": [
            {
                "participant_id": b.participant_id,
                "booking_id": b.id,
                "status": b.status,
                "outcomes": {str(sid): _record_json(rec) for sid, rec in sorted(records.get(b.participant_id, {}).items())},
            }
            for b in bookings
        ],
    }


def _history_json(rec: SkillRecord):
    return {
        "session_id": rec.session_id,
        "date": iso(ops.session_local_date(rec.session)),
        "outcome": rec.outcome,
        "valid_until": iso(rec.valid_until),
        "signed_by": rec.signed_by.name if rec.signed_by else None,
        "signed_at": iso(rec.signed_at),
        "comment": rec.comment,
    }


@bp.route("/participants/<int:participant_id>/skills", methods=["GET"])
@bp.response(200, SkillRecordOverview, description="The skill record")
@bp.errors(403, 404)
@bp.doc(summary="A participant's skill record: per skill the status, valid-until, latest outcome and history",
        tags=["Records"],
        description="Status is valid, expiring (valid-until within the expiry window), expired, practised (never "
                    "demonstrated) or missing (required by the profession, no record). The valid-until date itself "
                    "still counts as valid; null valid_until on a valid skill means it never expires.")
def participant_skills(participant_id):
    participant = get_or_404(Participant, participant_id)
    require(policy.can_view_skill_record(current_user, participant))
    today = local_today()
    window = ops.expiry_window_days()
    return {
        "participant_id": participant.id,
        "as_of": iso(today),
        "expiry_window_days": window,
        "skills": [
            {
                "skill_id": item.skill.id,
                "code": item.skill.code,
                "name": item.skill.name,
                "required": item.required,
                "status": item.status,
                "valid_until": iso(item.valid_until),
                "latest_outcome": item.latest.outcome if item.latest else None,
                "history": [_history_json(rec) for rec in item.history],
            }
            for item in ops.skill_overview(participant, today, window)
        ],
    }
