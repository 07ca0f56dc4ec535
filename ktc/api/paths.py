"""API: learning paths (definitions in the exchange schema), assignments and progress per person.

The same rules as the pages: admins define paths; admins and managers read them and put their
people on them; a person's progress is seen by those who may see the person.
"""
import json

import marshmallow as ma
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.errors import error_body
from ktc.api.schemas import Boolean, Date, Id, Integer, Schema, Text
from ktc.api.util import commit, find, get_or_404, ok, require
from ktc.database import MAX_INT
from ktc.errors import ImportFailed, NotFound
from ktc.extensions import db
from ktc.i18n import local_today
from ktc.organisations.models import Participant
from ktc.paths import exchange
from ktc.paths import operations as ops
from ktc.paths.models import LearningPath as LearningPathModel

KINDS = ["skill", "module", "circle"]
DUE = f"Days after the start on the path, 1 to {ops.MAX_DUE_DAYS}"
REQUIRES = "Numbers (from 1) of the steps to do first"


class PathStepInput(Schema):
    """A step as written; its rules (a known kind and skill code, the due time …) are the importer's,
    which names every bad step at once."""

    inline = True
    kind = Text(required=True, max_length=20, metadata={"enum": KINDS})
    title = Text(allow_empty=True)
    skill_code = Text(max_length=40, allow_none=True, metadata={"description": "The skill's code (station skills only)"})
    url = Text(max_length=2000, allow_empty=True)
    material = Text(max_length=5000, allow_empty=True)
    due_days = Integer(required=True, minimum=-MAX_INT, metadata={"description": DUE})
    requires = ma.fields.List(Integer(minimum=-MAX_INT), allow_none=True, metadata={"description": REQUIRES})


class LearningPathDefinition(Schema):
    schema = Text(required=True, max_length=100, metadata={"enum": [exchange.SCHEMA]})
    name = Text(required=True, allow_empty=True)
    description = Text(max_length=5000, allow_empty=True)
    profession = Text(allow_none=True, allow_empty=True)
    unit_kind = Text(max_length=100, allow_empty=True)
    auto_assign = Boolean()
    steps = ma.fields.List(ma.fields.Nested(PathStepInput), required=True)


class PathStep(Schema):
    inline = True
    kind = ma.fields.String(required=True, metadata={"enum": KINDS})
    title = ma.fields.String(required=True)
    skill_code = ma.fields.String(required=True, allow_none=True)
    url = ma.fields.String(required=True, allow_none=True)
    material = ma.fields.String(required=True, allow_none=True)
    due_days = ma.fields.Integer(required=True, metadata={"description": DUE})
    requires = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": REQUIRES})


class LearningPath(Schema):
    id = ma.fields.Integer(required=True)
    active = ma.fields.Boolean(required=True)
    schema = ma.fields.String(required=True, metadata={"enum": [exchange.SCHEMA]})
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True, allow_none=True)
    profession = ma.fields.String(required=True, allow_none=True)
    unit_kind = ma.fields.String(required=True, allow_none=True)
    auto_assign = ma.fields.Boolean(required=True)
    steps = ma.fields.List(ma.fields.Nested(PathStep), required=True)


class StepProgress(Schema):
    inline = True
    step = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["done", "due", "late"]})
    due_date = ma.fields.String(required=True, metadata={"format": "date"})
    done_on = ma.fields.String(required=True, allow_none=True, metadata={"format": "date"})


class PathProgress(Schema):
    assignment_id = ma.fields.Integer(required=True)
    path_id = ma.fields.Integer(required=True)
    path = ma.fields.String(required=True)
    start_date = ma.fields.String(required=True, metadata={"format": "date"})
    source = ma.fields.String(required=True, metadata={"enum": ["manual", "csv", "auto", "circle"]})
    done = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    late = ma.fields.Integer(required=True)
    complete = ma.fields.Boolean(required=True)
    completed_on = ma.fields.String(required=True, allow_none=True, metadata={"format": "date"})
    steps = ma.fields.List(ma.fields.Nested(StepProgress), required=True)


class PathAssignmentInput(Schema):
    path_id = Id(required=True)
    start_date = Date(metadata={"description": "Default: today"})


class StepErrors(Schema):
    inline = True
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    field = ma.fields.String()
    steps = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()), metadata={
        "description": "When the importer refused the definition: step number (from 1; 0 = the definition as a "
                       "whole) → its problems"})


class PathImportRefused(Schema):
    error = ma.fields.Nested(StepErrors, required=True)


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
@bp.response(200, LearningPath(many=True))
@bp.errors(403)
@bp.doc(summary="Learning paths (admins, managers)", tags=["Learning paths"])
def list_paths():
    require(policy.can_follow_team_paths(current_user))
    return [path_json(p) for p in ops.list_paths()]


@bp.get("/paths/<int:path_id>")
@bp.response(200, LearningPath)
@bp.errors(403, 404)
@bp.doc(summary="One learning path, in the exchange schema", tags=["Learning paths"])
def get_path(path_id):
    require(policy.can_follow_team_paths(current_user))
    return path_json(get_or_404(LearningPathModel, path_id))


@bp.post("/paths")
@bp.arguments(LearningPathDefinition)
@bp.response(201, LearningPath)
@bp.alt_response(422, schema=PathImportRefused, description=(
    "A field of the wrong type (error.field), or a definition the importer refused: every bad step with its "
    "problems (error.steps)"))
@bp.errors(400, 403, 409)
@bp.doc(summary="Import a learning path definition (admin); all steps or none", tags=["Learning paths"])
def create_path(data):
    require(policy.can_manage_paths(current_user))
    try:
        result = exchange.import_path(json.dumps(data))
    except ImportFailed as exc:
        # Every bad step with its messages (step numbers from 1; 0 = the definition as a whole).
        db.session.rollback()
        return ok({"error": {**error_body(exc), "steps": {str(k): v for k, v in exc.row_errors.items()}}}, 422)
    commit()
    return path_json(result.path), 201


def _visible_participant(participant_id, check):
    person = db.session.get(Participant, participant_id)
    if person is None or not check(current_user, person):
        raise NotFound()
    return person


@bp.get("/participants/<int:participant_id>/paths")
@bp.response(200, PathProgress(many=True))
@bp.errors(404)
@bp.doc(summary="A person's paths with the status of every step", tags=["Learning paths"])
def participant_paths(participant_id):
    person = _visible_participant(participant_id, policy.can_view_participant)
    return [_progress_json(p) for p in ops.person_progress(person)]


@bp.post("/participants/<int:participant_id>/paths")
@bp.arguments(PathAssignmentInput)
@bp.response(201, PathProgress(many=True))
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Put the person on a path (their managers, admins); a second time keeps the start date",
        tags=["Learning paths"])
def assign_path(data, participant_id):
    person = _visible_participant(participant_id, policy.can_view_participant)
    require(policy.can_manage_participant(current_user, person))
    path = find(LearningPathModel, data["path_id"], "path_id")
    ops.assign(current_user, path, [person], data.get("start_date") or local_today())
    commit()
    return [_progress_json(p) for p in ops.person_progress(person)], 201
