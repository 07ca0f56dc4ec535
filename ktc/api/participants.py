"""Staff (participants): personal data, so every read and write is scoped by the policy."""
import marshmallow as ma
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Boolean, Choice, Email, Id, Integer, Schema, Text
from ktc.api.util import commit, find, require
from ktc.errors import NotFound
from ktc.extensions import db
from ktc.organisations import operations as ops
from ktc.organisations.models import Participant as ParticipantModel
from ktc.organisations.models import Unit
from ktc.skills.models import Profession


class Participant(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True, allow_none=True)
    unit_id = ma.fields.Integer(required=True)
    unit = ma.fields.Function(lambda p: p.unit.name, required=True, metadata={"type": "string"})
    organisation_id = ma.fields.Function(lambda p: p.unit.organisation_id, required=True,
                                         metadata={"type": "integer"})
    side = ma.fields.Function(lambda p: p.unit.organisation.side, required=True,
                              metadata={"type": "string", "enum": ["municipal", "regional"]})
    profession_id = ma.fields.Integer(required=True, allow_none=True)
    profession = ma.fields.Function(lambda p: p.profession.name if p.profession else None, required=True,
                                    metadata={"type": ["string", "null"]})
    active = ma.fields.Boolean(required=True)


class ParticipantInput(Schema):
    name = Text(required=True)
    email = Email(allow_none=True, load_default=None)
    unit_id = Id(required=True)
    profession_id = Id(allow_none=True, load_default=None)
    active = Boolean(load_default=True)


class ParticipantQuery(Schema):
    unit = Id(query=True, metadata={"description": "Unit id"})
    organisation = Id(query=True, metadata={"description": "Organisation id"})
    profession = Id(query=True, metadata={"description": "Profession id"})
    active = Choice(("true", "false"), metadata={"description": "Only active (true) or inactive (false) staff"})
    q = Text(max_length=100, allow_empty=True, load_default="", metadata={"description": "Search in name and e-mail"})
    limit = Integer(query=True, minimum=1, maximum=1000, load_default=500,
                    metadata={"description": "At most this many"})
    offset = Integer(query=True, minimum=0, load_default=0, metadata={"description": "Skip this many"})


def _loaded():
    return select(ParticipantModel).options(
        selectinload(ParticipantModel.unit).selectinload(Unit.organisation), selectinload(ParticipantModel.profession)
    )


@bp.get("/participants")
@bp.arguments(ParticipantQuery, location="query")
@bp.response(200, Participant(many=True),
             description="Admins see everyone, managers the staff of their units, a participant only themself.")
@bp.errors(403)
@bp.doc(summary="List the staff the token's owner may see", tags=["Participants"])
def list_participants(query):
    filters = ops.StaffFilter(
        unit_id=query.get("unit"),
        organisation_id=query.get("organisation"),
        profession_id=query.get("profession"),
        active={"true": True, "false": False, None: None}[query.get("active")],
        q=query["q"],
    )
    return ops.list_participants(current_user, filters, limit=query["limit"], offset=query["offset"])


@bp.get("/participants/<int:participant_id>")
@bp.response(200, Participant)
@bp.errors(404)
@bp.doc(summary="One member of staff", tags=["Participants"])
def get_participant(participant_id):
    participant = db.session.execute(_loaded().where(ParticipantModel.id == participant_id)).scalar_one_or_none()
    # Someone else's staff member is "not found": the API does not confirm that the person exists.
    if participant is None or not policy.can_view_participant(current_user, participant):
        raise NotFound()
    return participant


@bp.post("/participants")
@bp.arguments(ParticipantInput)
@bp.response(201, Participant)
@bp.errors(400, 403, 409)
@bp.doc(summary="Add a member of staff (admin; managers only in their own units)", tags=["Participants"])
def create_participant(data):
    require(policy.can_list_staff(current_user))
    unit = find(Unit, data["unit_id"], "unit_id")
    profession = find(Profession, data["profession_id"], "profession_id") if data["profession_id"] else None
    participant = ops.create_participant(current_user, data["name"], data["email"], unit, profession, data["active"])
    commit()
    return participant
