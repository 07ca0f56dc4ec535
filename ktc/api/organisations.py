"""Organisations (kommun/region) and their units. Everyone signed in reads; admins write."""
import marshmallow as ma
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Choice, Id, Ref, Schema, Text
from ktc.api.util import commit, find, require
from ktc.extensions import db
from ktc.organisations import operations as ops
from ktc.organisations.models import SIDES
from ktc.organisations.models import Organisation as OrganisationModel
from ktc.organisations.models import Unit as UnitModel


class Organisation(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    side = ma.fields.String(required=True, metadata={"enum": list(SIDES)})
    org_number = ma.fields.String(required=True, allow_none=True)
    units = ma.fields.List(ma.fields.Nested(Ref), required=True)


class OrganisationInput(Schema):
    name = Text(required=True)
    side = Choice(SIDES, required=True)
    org_number = Text(max_length=20, allow_none=True, load_default="")


class Unit(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    organisation_id = ma.fields.Integer(required=True)
    organisation = ma.fields.Function(lambda unit: unit.organisation.name, required=True,
                                      metadata={"type": "string"})
    side = ma.fields.Function(lambda unit: unit.organisation.side, required=True,
                              metadata={"type": "string", "enum": list(SIDES)})


class UnitInput(Schema):
    organisation_id = Id(required=True)
    name = Text(required=True)


class UnitQuery(Schema):
    organisation = Id(query=True, metadata={"description": "Only the units of this organisation"})


@bp.get("/organisations")
@bp.response(200, Organisation(many=True))
@bp.doc(summary="List organisations with their units", tags=["Organisations"])
def list_organisations():
    return ops.list_organisations()


@bp.post("/organisations")
@bp.arguments(OrganisationInput)
@bp.response(201, Organisation)
@bp.errors(400, 403, 409)
@bp.doc(summary="Create an organisation (admin)", tags=["Organisations"])
def create_organisation(data):
    require(policy.can_manage_organisations(current_user))
    org = ops.create_organisation(data["name"], data["side"], data["org_number"] or "")
    commit()
    return org


@bp.get("/units")
@bp.arguments(UnitQuery, location="query")
@bp.response(200, Unit(many=True))
@bp.doc(summary="List units", tags=["Organisations"])
def list_units(query):
    stmt = select(UnitModel).join(UnitModel.organisation).options(selectinload(UnitModel.organisation))
    if query.get("organisation"):
        stmt = stmt.where(UnitModel.organisation_id == query["organisation"])
    return db.session.execute(stmt.order_by(OrganisationModel.name, UnitModel.name)).scalars().all()


@bp.post("/units")
@bp.arguments(UnitInput)
@bp.response(201, Unit)
@bp.errors(400, 403, 409)
@bp.doc(summary="Create a unit (admin)", tags=["Organisations"])
def create_unit(data):
    require(policy.can_manage_organisations(current_user))
    unit = ops.create_unit(find(OrganisationModel, data["organisation_id"], "organisation_id"), data["name"])
    commit()
    return unit
