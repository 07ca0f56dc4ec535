"""Training needs: managers state their units' needs; admins see every unit's."""
from datetime import date

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Choice, Id, IdList, Integer, Schema, Text
from ktc.api.util import FieldError, commit, find, find_all, iso, require
from ktc.i18n import EARLIEST, LATEST
from ktc.organisations.models import Participant, Unit
from ktc.planning import operations as ops
from ktc.skills.models import Skill

MONTH = "The month by which the training is needed (YYYY-MM, not in the past)"


class Month(ma.fields.String):
    """YYYY-MM, read as the month's first day (years 1900–2999)."""

    default_error_messages = {"invalid": "month", "required": "required", "null": "required"}

    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": "^[0-9]{4}-[0-9]{2}$", "description": MONTH}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 7:
            raise self.make_error("invalid")
        try:
            year, month = value.split("-")
            first = date(int(year), int(month), 1)
        except ValueError:
            raise self.make_error("invalid") from None
        if not EARLIEST <= first <= LATEST:
            raise self.make_error("invalid")
        return first


class NeedPatch(Schema):
    skill_id = Id(metadata={"description": "An active skill"})
    month = Month()
    people = Integer(maximum=ops.MAX_PEOPLE, allow_none=True,
                     metadata={"description": "How many people; defaults to the number named"})
    participant_ids = IdList(metadata={"description": "Named people (active staff of the unit)"})
    note = Text(max_length=2000, allow_none=True, allow_empty=True)


class NeedInput(NeedPatch):
    unit_id = Id(required=True)
    skill_id = Id(required=True, metadata={"description": "An active skill"})
    month = Month(required=True)


class Need(Schema):
    id = ma.fields.Integer(required=True)
    unit_id = ma.fields.Integer(required=True)
    skill_id = ma.fields.Integer(required=True)
    month = ma.fields.String(required=True, metadata={"pattern": "^[0-9]{4}-[0-9]{2}$", "description": "YYYY-MM"})
    people = ma.fields.Integer(required=True, allow_none=True)
    participant_ids = ma.fields.List(ma.fields.Integer(), required=True)
    note = ma.fields.String(required=True, allow_none=True)
    source = ma.fields.String(required=True, metadata={"enum": ["stated", "derived"]})
    urgency = ma.fields.String(required=True, metadata={"enum": ["expired", "expiring", "missing"]})
    status = ma.fields.String(required=True, metadata={"enum": ["open", "covered", "met"]})
    covered_session_id = ma.fields.Integer(required=True, allow_none=True)
    created_at = ma.fields.String(required=True, metadata={"format": "date-time"})


class NeedWithdrawn(Schema):
    id = ma.fields.Integer(required=True)
    withdrawn = ma.fields.Boolean(required=True)


class NeedQuery(Schema):
    unit = Id(query=True, metadata={"description": "Only this unit's needs"})
    status = Choice(("open", "covered", "met"))


def need_json(need):
    return {
        "id": need.id,
        "unit_id": need.unit_id,
        "skill_id": need.skill_id,
        "month": need.month.strftime("%Y-%m"),
        "people": need.people,
        "participant_ids": [p.id for p in need.named],
        "note": need.note,
        "source": need.source,
        "urgency": need.urgency,
        "status": need.status,
        "covered_session_id": need.covered_session_id,
        "created_at": iso(need.created_at),
    }


def _inputs(data, need=None):
    """What a create or change gives, with the need's current values for what a change leaves out."""
    skill = find(Skill, data["skill_id"], "skill_id") if "skill_id" in data else need.skill
    month = data["month"] if "month" in data else need.month
    if "participant_ids" in data:
        named = find_all(Participant, data["participant_ids"], "participant_ids")
    else:
        named = list(need.named) if need is not None else []
    if "people" in data:
        people = data["people"]
    else:
        people = need.people if need is not None and "participant_ids" not in data else None
    note = (data["note"] or "") if "note" in data else (need.note if need is not None else "")
    return skill, month, people, named, note


@bp.get("/needs")
@bp.arguments(NeedQuery, location="query")
@bp.response(200, Need(many=True))
@bp.errors(403)
@bp.doc(summary="Training needs the token's owner may see (managers: their units; admins: all)", tags=["Needs"])
def list_needs(query):
    require(policy.can_state_needs(current_user))
    return [need_json(n) for n in ops.visible_needs(current_user, unit_id=query.get("unit"),
                                                     status=query.get("status"))]


@bp.post("/needs")
@bp.arguments(NeedInput)
@bp.response(201, Need)
@bp.errors(400, 403, 409)
@bp.doc(summary="State a need for a unit", tags=["Needs"])
def create_need(data):
    require(policy.can_state_needs(current_user))
    unit = find(Unit, data["unit_id"], "unit_id")
    if not policy.can_manage_unit(current_user, unit):
        raise FieldError(_("%(name)s refers to nothing that exists."), field="unit_id", name="unit_id")
    skill, month, people, named, note = _inputs(data)
    need = ops.create_need(current_user, unit, skill, month, people, named, note)
    commit()
    return need_json(need), 201


@bp.get("/needs/<int:need_id>")
@bp.response(200, Need)
@bp.errors(403, 404)
@bp.doc(summary="One need", tags=["Needs"])
def get_need(need_id):
    require(policy.can_state_needs(current_user))
    return need_json(ops.get_need(current_user, need_id))


@bp.patch("/needs/<int:need_id>")
@bp.arguments(NeedPatch)
@bp.response(200, Need)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Change an open need", tags=["Needs"])
def update_need(data, need_id):
    require(policy.can_state_needs(current_user))
    need = ops.get_need(current_user, need_id)
    skill, month, people, named, note = _inputs(data, need)
    ops.update_need(current_user, need, skill, month, people, named, note)
    commit()
    return need_json(need)


@bp.delete("/needs/<int:need_id>")
@bp.response(200, NeedWithdrawn)
@bp.errors(403, 404, 409)
@bp.doc(summary="Withdraw an open need", tags=["Needs"])
def delete_need(need_id):
    require(policy.can_state_needs(current_user))
    ops.withdraw_need(current_user, ops.get_need(current_user, need_id))
    commit()
    return {"id": need_id, "withdrawn": True}
