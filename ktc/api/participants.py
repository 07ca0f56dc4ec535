"""Staff (participants): personal data, so every read and write is scoped by the policy."""
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schema import BOOL, INT, NULLABLE_INT, NULLABLE_STR, STR, array_of, obj, operation, path_id, query, ref
from ktc.api.util import Fields, commit, json_body, ok, query_fields, require
from ktc.errors import NotFound
from ktc.extensions import db
from ktc.organisations import operations as ops
from ktc.organisations.models import Participant, Unit
from ktc.skills.models import Profession


def participant_json(p):
    return {
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "unit_id": p.unit_id,
        "unit": p.unit.name,
        "organisation_id": p.unit.organisation_id,
        "side": p.unit.organisation.side,
        "profession_id": p.profession_id,
        "profession": p.profession.name if p.profession else None,
        "active": p.active,
    }


def _loaded():
    return select(Participant).options(
        selectinload(Participant.unit).selectinload(Unit.organisation), selectinload(Participant.profession)
    )


@bp.get("/participants")
def list_participants():
    q = query_fields()
    filters = ops.StaffFilter(
        unit_id=q.integer("unit", minimum=1),
        organisation_id=q.integer("organisation", minimum=1),
        profession_id=q.integer("profession", minimum=1),
        active={"true": True, "false": False, None: None}[q.choice("active", ("true", "false"))],
        q=q.string("q", max_length=100) or "",
    )
    limit = q.integer("limit", default=500, minimum=1, maximum=1000)
    offset = q.integer("offset", default=0, minimum=0)
    people = ops.list_participants(current_user, filters, limit=limit, offset=offset)
    return ok([participant_json(p) for p in people])


@bp.get("/participants/<int:participant_id>")
def get_participant(participant_id):
    participant = db.session.execute(_loaded().where(Participant.id == participant_id)).scalar_one_or_none()
    # Someone else's staff member is "not found": the API does not confirm that the person exists.
    if participant is None or not policy.can_view_participant(current_user, participant):
        raise NotFound()
    return ok(participant_json(participant))


@bp.post("/participants")
def create_participant():
    require(policy.can_list_staff(current_user))
    fields = Fields(json_body())
    participant = ops.create_participant(
        current_user,
        fields.string("name", required=True),
        fields.string("email", max_length=254),
        fields.obj("unit_id", Unit, required=True),
        fields.obj("profession_id", Profession),
        fields.boolean("active", default=True),
    )
    commit()
    return ok(participant_json(participant), 201)


PARTICIPANT = obj(
    {"id": INT, "name": STR, "email": NULLABLE_STR, "unit_id": INT, "unit": STR, "organisation_id": INT,
     "side": {"type": "string", "enum": ["municipal", "regional"]}, "profession_id": NULLABLE_INT,
     "profession": NULLABLE_STR, "active": BOOL},
    required=("id", "name", "unit_id", "side", "active"),
)
SCHEMAS = {
    "Participant": PARTICIPANT,
    "ParticipantInput": obj(
        {"name": {"type": "string", "maxLength": 200}, "email": {"type": ["string", "null"], "format": "email"},
         "unit_id": INT, "profession_id": NULLABLE_INT, "active": BOOL},
        required=("name", "unit_id"),
    ),
}
PATHS = {
    "/api/v1/participants": {
        "get": operation(
            "List the staff the token's owner may see", "Participants", response=array_of("Participant"),
            description="Admins see everyone, managers the staff of their units, a participant only themself.",
            params=[query("unit", "Unit id", INT), query("organisation", "Organisation id", INT),
                    query("profession", "Profession id", INT),
                    query("active", "true or false", {"type": "string", "enum": ["true", "false"]}),
                    query("q", "Search in name and e-mail"),
                    query("limit", "At most this many (default 500)", INT), query("offset", "Skip this many", INT)],
            errors=("403", "422"),
        ),
        "post": operation(
            "Add a member of staff (admin; managers only in their own units)", "Participants", status="201",
            response=ref("Participant"), request=ref("ParticipantInput"), errors=("400", "403", "409", "422"),
        ),
    },
    "/api/v1/participants/{participant_id}": {
        "get": operation("One member of staff", "Participants", response=ref("Participant"),
                         params=[path_id("participant_id")], errors=("404",)),
    },
}
