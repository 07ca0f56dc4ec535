"""Training needs: managers state their units' needs; admins see every unit's."""
from datetime import date

from flask_babel import gettext as _
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.schema import IDS, INT, NULLABLE_INT, STR, array_of, obj, operation, path_id, query, ref
from ktc.api.util import FieldError, Fields, commit, iso, json_body, ok, query_fields, require
from ktc.organisations.models import Participant, Unit
from ktc.planning import operations as ops
from ktc.skills.models import Skill

MONTH = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "description": "YYYY-MM"}


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


def _month(fields, required):
    value = fields.string("month", required=required, max_length=7)
    if value is None:
        return None
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise FieldError(_("%(name)s must be a month (YYYY-MM)."), field="month", name="month") from None


def _inputs(fields, need=None):
    skill = fields.obj("skill_id", Skill, required=need is None) if fields.has("skill_id") or need is None \
        else need.skill
    month = _month(fields, need is None) if fields.has("month") or need is None else need.month
    named = fields.objects("participant_ids", Participant) if fields.has("participant_ids") else \
        (list(need.named) if need is not None else [])
    people = fields.integer("people", maximum=ops.MAX_PEOPLE) if fields.has("people") else \
        (need.people if need is not None and not fields.has("participant_ids") else None)
    note = fields.string("note", max_length=2000, default="") if fields.has("note") else \
        (need.note if need is not None else "")
    return skill, month, people, named or [], note


@bp.get("/needs")
def list_needs():
    require(policy.can_state_needs(current_user))
    args = query_fields()
    unit_id = args.integer("unit", minimum=1)
    status = args.choice("status", ("open", "covered", "met"))
    return ok([need_json(n) for n in ops.visible_needs(current_user, unit_id=unit_id, status=status)])


@bp.post("/needs")
def create_need():
    require(policy.can_state_needs(current_user))
    fields = Fields(json_body())
    unit = fields.obj("unit_id", Unit, required=True)
    if not policy.can_manage_unit(current_user, unit):
        raise FieldError(_("%(name)s refers to nothing that exists."), field="unit_id", name="unit_id")
    skill, month, people, named, note = _inputs(fields)
    need = ops.create_need(current_user, unit, skill, month, people, named, note)
    commit()
    return ok(need_json(need), 201)


@bp.get("/needs/<int:need_id>")
def get_need(need_id):
    require(policy.can_state_needs(current_user))
    return ok(need_json(ops.get_need(current_user, need_id)))


@bp.patch("/needs/<int:need_id>")
def update_need(need_id):
    require(policy.can_state_needs(current_user))
    fields = Fields(json_body())
    need = ops.get_need(current_user, need_id)
    skill, month, people, named, note = _inputs(fields, need)
    ops.update_need(current_user, need, skill, month, people, named, note)
    commit()
    return ok(need_json(need))


@bp.delete("/needs/<int:need_id>")
def delete_need(need_id):
    require(policy.can_state_needs(current_user))
    ops.withdraw_need(current_user, ops.get_need(current_user, need_id))
    commit()
    return ok({"id": need_id, "withdrawn": True})


NEED_INPUT = {
    "unit_id": INT,
    "skill_id": {**INT, "description": "An active skill"},
    "month": {**MONTH, "description": "The month by which the training is needed (YYYY-MM, not in the past)"},
    "people": {**NULLABLE_INT, "minimum": 1, "maximum": ops.MAX_PEOPLE,
               "description": "How many people; defaults to the number named"},
    "participant_ids": {**IDS, "description": "Named people (active staff of the unit)"},
    "note": STR,
}
SCHEMAS = {
    "Need": obj({"id": INT, **NEED_INPUT,
                 "source": {"type": "string", "enum": ["stated", "derived"]},
                 "urgency": {"type": "string", "enum": ["expired", "expiring", "missing"]},
                 "status": {"type": "string", "enum": ["open", "covered", "met"]},
                 "covered_session_id": NULLABLE_INT,
                 "created_at": {"type": "string", "format": "date-time"}},
                required=("id", "unit_id", "skill_id", "month", "people", "status")),
    "NeedInput": obj(NEED_INPUT, required=("unit_id", "skill_id", "month")),
    "NeedPatch": obj({k: v for k, v in NEED_INPUT.items() if k != "unit_id"}),
    "NeedWithdrawn": obj({"id": INT, "withdrawn": {"type": "boolean"}}, required=("id", "withdrawn")),
}
PATHS = {
    "/needs": {
        "get": operation("Training needs the token's owner may see (managers: their units; admins: all)", "Needs",
                         response=array_of("Need"),
                         params=[query("unit", "Only this unit's needs", INT),
                                 query("status", "open, covered or met",
                                       {"type": "string", "enum": ["open", "covered", "met"]})],
                         errors=("403", "422")),
        "post": operation("State a need for a unit", "Needs", status="201", response=ref("Need"),
                          request=ref("NeedInput"), errors=("400", "403", "409", "422")),
    },
    "/needs/{need_id}": {
        "get": operation("One need", "Needs", response=ref("Need"), params=[path_id("need_id")],
                         errors=("403", "404")),
        "patch": operation("Change an open need", "Needs", response=ref("Need"), params=[path_id("need_id")],
                           request=ref("NeedPatch"), errors=("400", "403", "404", "409", "422")),
        "delete": operation("Withdraw an open need", "Needs", response=ref("NeedWithdrawn"),
                            params=[path_id("need_id")], errors=("403", "404", "409")),
    },
}
