"""The skills catalogue. Everyone signed in reads; admins write."""
import marshmallow as ma
from flask_login import current_user

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Boolean, Choice, Integer, Schema, Text
from ktc.api.util import commit, require
from ktc.skills import operations as ops

REFRESH = "Months a demonstrated skill stays valid; null = never expires"


class Skill(Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True, metadata={"description": "Unique regardless of case; stored in upper case"})
    name = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    refresh_months = ma.fields.Integer(required=True, allow_none=True, metadata={"description": REFRESH})
    active = ma.fields.Boolean(required=True)


class SkillInput(Schema):
    code = Text(required=True, max_length=40, metadata={
        "description": "Unique regardless of case; stored in upper case"})
    name = Text(required=True)
    category = Text(max_length=100, load_default="")
    description = Text(max_length=5000, load_default="")
    refresh_months = Integer(minimum=1, maximum=ops.MAX_REFRESH_MONTHS, allow_none=True, load_default=None,
                             metadata={"description": REFRESH})
    active = Boolean(load_default=True)


class SkillQuery(Schema):
    active = Choice(("true", "false"), metadata={"description": "Only active (true) or inactive (false) skills"})


@bp.get("/skills")
@bp.arguments(SkillQuery, location="query")
@bp.response(200, Skill(many=True))
@bp.doc(summary="The skills catalogue", tags=["Skills"])
def list_skills(query):
    active = query.get("active")
    return ops.list_skills(active=None if active is None else active == "true", by_code=True)


@bp.post("/skills")
@bp.arguments(SkillInput)
@bp.response(201, Skill)
@bp.errors(400, 403, 409)
@bp.doc(summary="Add a skill (admin)", tags=["Skills"])
def create_skill(data):
    require(policy.can_manage_catalogue(current_user))
    skill = ops.create_skill(data.pop("code"), data.pop("name"), **data)
    commit()
    return skill
