"""The skills catalogue. Everyone signed in reads; admins write."""
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.schema import BOOL, INT, NULLABLE_INT, STR, array_of, obj, operation, query, ref
from ktc.api.util import Fields, commit, json_body, ok, query_fields, require
from ktc.skills import operations as ops


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
    active = query_fields().choice("active", ("true", "false"))
    skills = ops.list_skills(active=None if active is None else active == "true", by_code=True)
    return ok([skill_json(s) for s in skills])


@bp.post("/skills")
def create_skill():
    require(policy.can_manage_catalogue(current_user))
    fields = Fields(json_body())
    skill = ops.create_skill(
        fields.string("code", required=True, max_length=40),
        fields.string("name", required=True),
        category=fields.string("category", max_length=100, default=""),
        description=fields.string("description", max_length=5000, default=""),
        refresh_months=fields.integer("refresh_months", minimum=1, maximum=ops.MAX_REFRESH_MONTHS),
        active=fields.boolean("active", default=True),
    )
    commit()
    return ok(skill_json(skill), 201)


SKILL_PROPS = {
    "code": {"type": "string", "maxLength": 40, "description": "Unique regardless of case; stored in upper case"},
    "name": {"type": "string", "maxLength": 200},
    "category": {"type": "string", "maxLength": 100},
    "description": STR,
    "refresh_months": {**NULLABLE_INT, "minimum": 1, "maximum": ops.MAX_REFRESH_MONTHS,
                       "description": "Months a demonstrated skill stays valid; null = never expires"},
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
