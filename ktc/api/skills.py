"""The skills catalogue. Everyone signed in reads; admins write."""
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ktc import policy
from ktc.api import bp
from ktc.api.schema import BOOL, INT, NULLABLE_INT, STR, array_of, obj, operation, query, ref
from ktc.api.util import Fields, commit, json_body, ok, query_fields, require
from ktc.errors import Conflict
from ktc.extensions import db
from ktc.skills.models import Skill


def skill_json(skill):
    return {
        "id": skill.id,
        "code": skill.code,
        "name": skill.name,
        "category": skill.category,
        "description": skill.description,
        "refresh_months": skill.refresh_months,
        "active": skill.active,
    }


@bp.get("/skills")
def list_skills():
    stmt = select(Skill)
    active = query_fields().choice("active", ("true", "false"))
    if active is not None:
        stmt = stmt.where(Skill.active.is_(active == "true"))
    skills = db.session.execute(stmt.order_by(Skill.code)).scalars().all()
    return ok([skill_json(s) for s in skills])


@bp.post("/skills")
def create_skill():
    require(policy.can_edit_catalogue(current_user))
    fields = Fields(json_body())
    code = fields.string("code", required=True, max_length=40)
    name = fields.string("name", required=True)
    category = fields.string("category", max_length=100, default="")
    description = fields.string("description", max_length=5000, default="")
    refresh_months = fields.integer("refresh_months", minimum=1, maximum=600)
    active = fields.boolean("active", default=True)
    if db.session.execute(select(Skill.id).where(Skill.code == code)).first():
        raise Conflict(_("A skill with that code already exists."), field="code")
    skill = Skill(code=code, name=name, category=category, description=description,
                  refresh_months=refresh_months, active=active)
    db.session.add(skill)
    db.session.flush()
    commit()
    return ok(skill_json(skill), 201)


SKILL_PROPS = {
    "code": {"type": "string", "maxLength": 40},
    "name": {"type": "string", "maxLength": 200},
    "category": {"type": "string", "maxLength": 100},
    "description": STR,
    "refresh_months": {**NULLABLE_INT, "description": "Months a demonstrated skill stays valid; null = never expires"},
    "active": BOOL,
}
SCHEMAS = {
    "Skill": obj({"id": INT, **SKILL_PROPS}, required=("id", "code", "name", "refresh_months", "active")),
    "SkillInput": obj(SKILL_PROPS, required=("code", "name")),
}
PATHS = {
    "/api/v1/skills": {
        "get": operation("The skills catalogue", "Skills", response=array_of("Skill"),
                         params=[query("active", "true or false", {"type": "string", "enum": ["true", "false"]})],
                         errors=("422",)),
        "post": operation("Add a skill (admin)", "Skills", status="201", response=ref("Skill"),
                          request=ref("SkillInput"), errors=("400", "403", "409", "422")),
    },
}
