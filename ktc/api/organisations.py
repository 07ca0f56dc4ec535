"""Organisations (kommun/region) and their units. Everyone signed in reads; admins write."""
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schema import INT, NULLABLE_STR, STR, array_of, obj, operation, ref
from ktc.api.util import Fields, commit, json_body, ok, query_fields, require
from ktc.extensions import db
from ktc.organisations import operations as ops
from ktc.organisations.models import SIDES, Organisation, Unit


def organisation_json(org):
    return {
        "id": org.id,
        "name": org.name,
        "side": org.side,
        "org_number": org.org_number,
        "units": [{"id": u.id, "name": u.name} for u in org.units],
    }


def unit_json(unit):
    return {
        "id": unit.id,
        "name": unit.name,
        "organisation_id": unit.organisation_id,
        "organisation": unit.organisation.name,
        "side": unit.organisation.side,
    }


@bp.get("/organisations")
def list_organisations():
    return ok([organisation_json(o) for o in ops.list_organisations()])


@bp.post("/organisations")
def create_organisation():
    require(policy.can_manage_organisations(current_user))
    fields = Fields(json_body())
    org = ops.create_organisation(
        fields.string("name", required=True),
        fields.choice("side", SIDES, required=True),
        fields.string("org_number", max_length=20, default=""),
    )
    commit()
    return ok(organisation_json(org), 201)


@bp.get("/units")
def list_units():
    stmt = select(Unit).join(Unit.organisation).options(selectinload(Unit.organisation))
    organisation_id = query_fields().integer("organisation", minimum=1)
    if organisation_id:
        stmt = stmt.where(Unit.organisation_id == organisation_id)
    units = db.session.execute(stmt.order_by(Organisation.name, Unit.name)).scalars().all()
    return ok([unit_json(u) for u in units])


@bp.post("/units")
def create_unit():
    require(policy.can_manage_organisations(current_user))
    fields = Fields(json_body())
    org = fields.obj("organisation_id", Organisation, required=True)
    unit = ops.create_unit(org, fields.string("name", required=True))
    commit()
    return ok(unit_json(unit), 201)


ORGANISATION = obj(
    {"id": INT, "name": STR, "side": {"type": "string", "enum": list(SIDES)}, "org_number": NULLABLE_STR,
     "units": {"type": "array", "items": obj({"id": INT, "name": STR})}},
    required=("id", "name", "side"),
)
UNIT = obj(
    {"id": INT, "name": STR, "organisation_id": INT, "organisation": STR,
     "side": {"type": "string", "enum": list(SIDES)}},
    required=("id", "name", "organisation_id", "side"),
)
SCHEMAS = {
    "Organisation": ORGANISATION,
    "OrganisationInput": obj(
        {"name": {"type": "string", "maxLength": 200}, "side": {"type": "string", "enum": list(SIDES)},
         "org_number": {"type": ["string", "null"], "maxLength": 20}},
        required=("name", "side"),
    ),
    "Unit": UNIT,
    "UnitInput": obj({"organisation_id": INT, "name": {"type": "string", "maxLength": 200}},
                     required=("organisation_id", "name")),
}
PATHS = {
    "/api/v1/organisations": {
        "get": operation("List organisations with their units", "Organisations",
                         response=array_of("Organisation")),
        "post": operation("Create an organisation (admin)", "Organisations", status="201",
                          response=ref("Organisation"), request=ref("OrganisationInput"),
                          errors=("400", "403", "409", "422")),
    },
    "/api/v1/units": {
        "get": operation("List units", "Organisations", response=array_of("Unit"),
                         params=[{"name": "organisation", "in": "query", "required": False,
                                  "description": "Only the units of this organisation", "schema": INT}],
                         errors=("422",)),
        "post": operation("Create a unit (admin)", "Organisations", status="201", response=ref("Unit"),
                          request=ref("UnitInput"), errors=("400", "403", "409", "422")),
    },
}
