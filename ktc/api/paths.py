"""API: learning paths (definitions in the exchange schema), assignments and progress per person.

The same rules as the pages: admins define paths; admins and managers read them and put their
people on them; a person's progress is seen by those who may see the person.
"""
import json

from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.errors import error_body
from ktc.api.schema import BOOL, INT, NULLABLE_STR, STR, array_of, obj, operation, path_id, ref
from ktc.api.util import Fields, commit, get_or_404, json_body, ok, require
from ktc.errors import ImportFailed, NotFound
from ktc.extensions import db
from ktc.i18n import local_today
from ktc.organisations.models import Participant
from ktc.paths import exchange
from ktc.paths import operations as ops
from ktc.paths.models import LearningPath


def path_json(path):
    return {"id": path.id, "active": path.active, **exchange.export_path(path)}


def _progress_json(progress):
    a = progress.assignment
    return {
        "assignment_id": a.id, "path_id": a.path_id, "path": a.path.name, "start_date": a.start_date.isoformat(),
        "source": a.source, "done": progress.done_count, "total": progress.total, "late": progress.late_count,
        "complete": progress.complete,
        "completed_on": progress.completed_on.isoformat() if progress.completed_on else None,
        "steps": [{
            "step": i, "title": s.step.title, "kind": s.step.kind, "status": s.status,
            "due_date": s.due_date.isoformat(), "done_on": s.done_on.isoformat() if s.done_on else None,
        } for i, s in enumerate(progress.steps, start=1)],
    }


@bp.get("/paths")
def list_paths():
    require(policy.can_follow_team_paths(current_user))
    return ok([path_json(p) for p in ops.list_paths()])


@bp.get("/paths/<int:path_id>")
def get_path(path_id):
    require(policy.can_follow_team_paths(current_user))
    return ok(path_json(get_or_404(LearningPath, path_id)))


@bp.post("/paths")
def create_path():
    require(policy.can_manage_paths(current_user))
    try:
        result = exchange.import_path(json.dumps(json_body()))
    except ImportFailed as exc:
        # Every bad step with its messages (step numbers from 1; 0 = the definition as a whole).
        db.session.rollback()
        return ok({"error": {**error_body(exc), "steps": {str(k): v for k, v in exc.row_errors.items()}}}, 422)
    commit()
    return ok(path_json(result.path), 201)


def _visible_participant(participant_id, check):
    person = db.session.get(Participant, participant_id)
    if person is None or not check(current_user, person):
        raise NotFound()
    return person


@bp.get("/participants/<int:participant_id>/paths")
def participant_paths(participant_id):
    person = _visible_participant(participant_id, policy.can_view_participant)
    return ok([_progress_json(p) for p in ops.person_progress(person)])


@bp.post("/participants/<int:participant_id>/paths")
def assign_path(participant_id):
    person = _visible_participant(participant_id, policy.can_view_participant)
    require(policy.can_manage_participant(current_user, person))
    fields = Fields(json_body())
    path = fields.obj("path_id", LearningPath, required=True)
    start = fields.date("start_date")
    ops.assign(current_user, path, [person], start or local_today())
    commit()
    return ok([_progress_json(p) for p in ops.person_progress(person)], 201)


_STEP = obj({
    "kind": {"type": "string", "enum": ["skill", "module", "circle"]}, "title": STR,
    "skill_code": {**NULLABLE_STR, "description": "The skill's code (station skills only)"},
    "url": STR, "material": STR, "due_days": {"type": "integer", "minimum": 1, "maximum": ops.MAX_DUE_DAYS},
    "requires": {"type": "array", "items": INT, "description": "Numbers (from 1) of the steps to do first"},
}, required=("kind", "due_days"))
_DEFINITION = {
    "schema": {"type": "string", "enum": [exchange.SCHEMA]}, "name": STR, "description": STR,
    "profession": NULLABLE_STR, "unit_kind": STR, "auto_assign": BOOL,
    "steps": {"type": "array", "items": _STEP},
}
SCHEMAS = {
    "LearningPathDefinition": obj(_DEFINITION, required=("schema", "name", "steps")),
    "LearningPath": obj({"id": INT, "active": BOOL, **_DEFINITION}, required=("id", "schema", "name", "steps")),
    "PathProgress": obj({
        "assignment_id": INT, "path_id": INT, "path": STR, "start_date": {"type": "string", "format": "date"},
        "source": {"type": "string", "enum": ["manual", "csv", "auto", "circle"]}, "done": INT, "total": INT,
        "late": INT, "complete": BOOL, "completed_on": NULLABLE_STR,
        "steps": {"type": "array", "items": obj({
            "step": INT, "title": STR, "kind": STR, "status": {"type": "string", "enum": ["done", "due", "late"]},
            "due_date": STR, "done_on": NULLABLE_STR})},
    }),
    "PathAssignmentInput": obj({"path_id": INT, "start_date": {"type": "string", "format": "date",
                                                               "description": "Default: today"}},
                               required=("path_id",)),
}
PATHS = {
    "/api/v1/paths": {
        "get": operation("Learning paths (admins, managers)", "Learning paths", response=array_of("LearningPath"),
                         errors=("403",)),
        "post": operation("Import a learning path definition (admin); all steps or none", "Learning paths",
                          status="201", response=ref("LearningPath"), request=ref("LearningPathDefinition"),
                          errors=("400", "403", "409", "422")),
    },
    "/api/v1/paths/{path_id}": {
        "get": operation("One learning path, in the exchange schema", "Learning paths",
                         response=ref("LearningPath"), params=[path_id("path_id")], errors=("403", "404")),
    },
    "/api/v1/participants/{participant_id}/paths": {
        "get": operation("A person's paths with the status of every step", "Learning paths",
                         response=array_of("PathProgress"), params=[path_id("participant_id")], errors=("404",)),
        "post": operation("Put the person on a path (their managers, admins); a second time keeps the start date",
                          "Learning paths", status="201", response=array_of("PathProgress"),
                          request=ref("PathAssignmentInput"), params=[path_id("participant_id")],
                          errors=("400", "403", "404", "409", "422")),
    },
}
