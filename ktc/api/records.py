"""API: attendance and sign-off for a session, and a participant's skill record."""
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.util import BadJSON, get_or_404, iso, ok, require
from ktc.extensions import db
from ktc.i18n import local_today
from ktc.organisations.models import Participant
from ktc.records import operations as ops
from ktc.records.models import OUTCOMES, SkillRecord
from ktc.sessions.models import Session

_OUTCOME_MAP = {
    "type": "object",
    "description": "Skill id (as a string key) → outcome; null removes that skill's sign-off from this session. "
                   "Skills left out keep their record.",
    "additionalProperties": {"type": "string", "enum": list(OUTCOMES), "nullable": True},
}
_ENTRY = {
    "type": "object",
    "required": ["participant_id", "attended"],
    "properties": {
        "participant_id": {"type": "integer"},
        "attended": {"type": "boolean", "description": "false marks a no-show and removes their sign-offs"},
        "outcomes": _OUTCOME_MAP,
        "comments": {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "Optional comment per skill id"},
    },
}
_ERROR = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}}}}}
_ERROR_RESPONSE = {"content": {"application/json": {"schema": _ERROR}}}

PATHS = {
    "/sessions/{session_id}/attendance": {
        "post": {
            "tags": ["records"],
            "summary": "Record attendance and skill outcomes (instructors of the session, admins)",
            "description": "One entry per person with a seat (confirmed, attended or no-show). Sets the booking "
                           "to attended or no_show and signs off the outcomes; all entries are applied or none. "
                           "Every change is audited. Accepts a bare list or {\"entries\": [...]}.",
            "parameters": [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                {"type": "array", "items": _ENTRY},
                {"type": "object", "required": ["entries"],
                 "properties": {"entries": {"type": "array", "items": _ENTRY}}},
            ]}}}},
            "responses": {
                "200": {"description": "The resulting attendance and records per person",
                        "content": {"application/json": {"schema": {"type": "object", "properties": {
                            "session_id": {"type": "integer"},
                            "entries": {"type": "array", "items": {"type": "object", "properties": {
                                "participant_id": {"type": "integer"},
                                "booking_id": {"type": "integer"},
                                "status": {"type": "string", "enum": ["confirmed", "attended", "no_show"]},
                                "outcomes": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                                    "outcome": {"type": "string", "enum": list(OUTCOMES)},
                                    "valid_until": {"type": "string", "format": "date", "nullable": True},
                                    "comment": {"type": "string"},
                                }}},
                            }}},
                        }}}}},
                "400": {"description": "Malformed body", **_ERROR_RESPONSE},
                "403": {"description": "Not an instructor of this session", **_ERROR_RESPONSE},
                "404": {"description": "No such session", **_ERROR_RESPONSE},
                "409": {"description": "Session cancelled or not started yet", **_ERROR_RESPONSE},
                "422": {"description": "Person without a seat, skill not covered, unknown outcome, or outcome "
                                       "for a no-show", **_ERROR_RESPONSE},
            },
        }
    },
    "/participants/{participant_id}/skills": {
        "get": {
            "tags": ["records"],
            "summary": "A participant's skill record: per skill the status, valid-until, latest outcome and history",
            "description": "Status is valid, expiring (valid-until within the expiry window), expired, practised "
                           "(never demonstrated) or missing (required by the profession, no record). The "
                           "valid-until date itself still counts as valid; null valid_until on a valid skill "
                           "means it never expires.",
            "parameters": [{"name": "participant_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {
                "200": {"description": "The skill record", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "participant_id": {"type": "integer"},
                        "as_of": {"type": "string", "format": "date"},
                        "expiry_window_days": {"type": "integer"},
                        "skills": {"type": "array", "items": {"type": "object", "properties": {
                            "skill_id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
                            "required": {"type": "boolean"},
                            "status": {"type": "string",
                                       "enum": ["valid", "expiring", "expired", "practised", "missing"]},
                            "valid_until": {"type": "string", "format": "date", "nullable": True},
                            "latest_outcome": {"type": "string", "enum": list(OUTCOMES), "nullable": True},
                            "history": {"type": "array", "items": {"type": "object", "properties": {
                                "session_id": {"type": "integer"},
                                "date": {"type": "string", "format": "date"},
                                "outcome": {"type": "string", "enum": list(OUTCOMES)},
                                "valid_until": {"type": "string", "format": "date", "nullable": True},
                                "signed_by": {"type": "string", "nullable": True},
                                "signed_at": {"type": "string", "format": "date-time"},
                                "comment": {"type": "string"},
                            }}},
                        }}},
                    }}}}},
                "403": {"description": "Not allowed to see this person", **_ERROR_RESPONSE},
                "404": {"description": "No such participant", **_ERROR_RESPONSE},
            },
        }
    },
}


def _entries_from_body():
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        data = data.get("entries")
    if not isinstance(data, list) or not data:
        raise BadJSON(_("The body must be a non-empty list of entries, or {\"entries\": [...]}."))
    entries = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise BadJSON(_("Entry %(n)s must be an object.", n=index + 1))
        pid = item.get("participant_id")
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise BadJSON(_("Entry %(n)s: participant_id must be an integer.", n=index + 1))
        if not isinstance(item.get("attended"), bool):
            raise BadJSON(_("Entry %(n)s: attended must be true or false.", n=index + 1))
        for key in ("outcomes", "comments"):
            if item.get(key) is not None and not isinstance(item[key], dict):
                raise BadJSON(_("Entry %(n)s: %(key)s must be an object.", n=index + 1, key=key))
        comments = item.get("comments") or {}
        if any(not isinstance(v, str) or "\x00" in v for v in comments.values()):
            raise BadJSON(_("Entry %(n)s: comments must be text.", n=index + 1))
        try:
            comments = {int(k): v for k, v in comments.items()}
        except ValueError:
            raise BadJSON(_("Entry %(n)s: comments must be keyed by skill id.", n=index + 1)) from None
        entries.append({"participant_id": pid, "attended": item["attended"],
                        "outcomes": item.get("outcomes") or {}, "comments": comments})
    if len({e["participant_id"] for e in entries}) != len(entries):
        raise BadJSON(_("Each person may appear only once."))
    return entries


def _record_json(rec):
    return {"outcome": rec.outcome, "valid_until": iso(rec.valid_until), "comment": rec.comment}


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
def record_attendance(session_id):
    session = get_or_404(Session, session_id)
    require(policy.can_record_session(current_user, session))
    entries = _entries_from_body()
    bookings = ops.record_attendance(current_user, session, entries)
    db.session.commit()
    records = ops.session_records(session)
    return ok({
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
    })


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
def participant_skills(participant_id):
    participant = get_or_404(Participant, participant_id)
    require(policy.can_view_skill_record(current_user, participant))
    today = local_today()
    window = ops.expiry_window_days()
    return ok({
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
    })
