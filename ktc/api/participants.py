"""Staff (participants): personal data, so every read and write is scoped by the policy."""
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schema import BOOL, INT, NULLABLE_INT, NULLABLE_STR, STR, array_of, obj, operation, path_id, query, ref
from ktc.api.util import Fields, FieldError, commit, json_body, ok, paginate, query_fields, require
from ktc.errors import Conflict, NotFound
from ktc.extensions import db
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
    require(policy.can_list_participants(current_user))
    q = query_fields()
    stmt = _loaded().join(Participant.unit).where(policy.participants_visible_to(current_user))
    unit_id = q.integer("unit", minimum=1)
    if unit_id:
        stmt = stmt.where(Participant.unit_id == unit_id)
    organisation_id = q.integer("organisation", minimum=1)
    if organisation_id:
        stmt = stmt.where(Unit.organisation_id == organisation_id)
    active = q.choice("active", ("true", "false"))
    if active is not None:
        stmt = stmt.where(Participant.active.is_(active == "true"))
    search = q.string("q", max_length=100)
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(or_(func.lower(Participant.name).like(pattern), func.lower(Participant.email).like(pattern)))
    rows, _meta = paginate(stmt.order_by(Participant.name, Participant.id), default_limit=500, max_limit=1000)
    return ok([participant_json(p) for p in rows])


@bp.get("/participants/<int:participant_id>")
def get_participant(participant_id):
    participant = db.session.execute(_loaded().where(Participant.id == participant_id)).scalar_one_or_none()
    # Someone else's staff member is "not found": the API does not confirm that the person exists.
    if participant is None or not policy.can_view_participant(current_user, participant):
        raise NotFound()
    return ok(participant_json(participant))


@bp.post("/participants")
def create_participant():
    require(policy.has_role(current_user, "admin", "manager"))
    fields = Fields(json_body())
    name = fields.string("name", required=True)
    email = fields.string("email", max_length=254)
    unit = fields.obj("unit_id", Unit, required=True)
    profession = fields.obj("profession_id", Profession)
    active = fields.boolean("active", default=True)
    require(policy.can_create_participant(current_user, unit))
    email = _valid_email(email) if email else None
    if email and db.session.execute(select(Participant.id).where(func.lower(Participant.email) == email)).first():
        raise Conflict(_("A person with that e-mail address already exists."), field="email")
    participant = Participant(name=name, email=email, unit=unit, profession=profession, active=active)
    db.session.add(participant)
    db.session.flush()
    commit()
    return ok(participant_json(participant), 201)


def _valid_email(email):
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise FieldError(_("%(name)s must be a valid e-mail address."), field="email", name="email") from None


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
