"""Centres (opening hours, closed days, time zone) and their stations. Everyone reads; admins write."""
import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Boolean, Choice, Date, Id, IdList, Integer, Objects, Schema, SkillRef, Text, Time
from ktc.api.util import FieldError, commit, find, require
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.stations import models
from ktc.stations import operations as ops

HHMM = {"pattern": "^[0-2][0-9]:[0-5][0-9]$"}
TIMEZONE = "An IANA time zone such as Europe/Stockholm (or UTC)"


class OpeningHoursInput(Schema):
    inline = True
    weekday = Integer(required=True, minimum=0, maximum=6, metadata={"description": "0 = Monday"})
    opens = Time(required=True)
    closes = Time(required=True)


class ClosedDayInput(Schema):
    inline = True
    day = Date(required=True)
    reason = Text(load_default="")


class CentreInput(Schema):
    name = Text(required=True)
    address = Text(max_length=300, load_default="")
    timezone = Text(max_length=64, allow_none=True, load_default=None,
                    metadata={"default": ops.DEFAULT_TIMEZONE, "description": TIMEZONE})
    opening_hours = Objects(OpeningHoursInput, allow_none=True, load_default=None)
    closed_days = Objects(ClosedDayInput, allow_none=True, load_default=None)


class OpeningHours(Schema):
    inline = True
    weekday = ma.fields.Integer(required=True, metadata={"description": "0 = Monday"})
    opens = ma.fields.Time(required=True, format="%H:%M", metadata=HHMM)
    closes = ma.fields.Time(required=True, format="%H:%M", metadata=HHMM)


class ClosedDay(Schema):
    inline = True
    day = ma.fields.Date(required=True)
    reason = ma.fields.String(required=True)


class Centre(Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True, metadata={"description": TIMEZONE})
    opening_hours = ma.fields.List(ma.fields.Nested(OpeningHours), required=True)
    closed_days = ma.fields.List(ma.fields.Nested(ClosedDay), required=True)


class Station(Schema):
    id = ma.fields.Integer(required=True)
    centre_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    skills = ma.fields.List(ma.fields.Nested(SkillRef), required=True)
    default_capacity = ma.fields.Integer(required=True)
    default_duration_minutes = ma.fields.Integer(required=True)
    changeover_minutes = ma.fields.Integer(required=True)
    equipment_notes = ma.fields.String(required=True)
    active = ma.fields.Boolean(required=True)


class StationInput(Schema):
    centre_id = Id(required=True)
    name = Text(required=True)
    description = Text(max_length=5000, load_default="")
    default_capacity = Integer(minimum=ops.STATION_LIMITS["default_capacity"][0],
                               maximum=ops.STATION_LIMITS["default_capacity"][1])
    default_duration_minutes = Integer(minimum=ops.STATION_LIMITS["default_duration_minutes"][0],
                                       maximum=ops.STATION_LIMITS["default_duration_minutes"][1])
    changeover_minutes = Integer(minimum=ops.STATION_LIMITS["changeover_minutes"][0],
                                 maximum=ops.STATION_LIMITS["changeover_minutes"][1])
    equipment_notes = Text(max_length=5000, load_default="")
    active = Boolean(load_default=True)
    skill_ids = IdList(load_default=())


class StationQuery(Schema):
    centre = Id(query=True, metadata={"description": "Centre id"})
    active = Choice(("true", "false"), metadata={"description": "Only active (true) or inactive (false) stations"})


@bp.get("/centres")
@bp.response(200, Centre(many=True))
@bp.doc(summary="Centres with opening hours and closed days", tags=["Centres"])
def list_centres():
    return ops.list_centres()


# The operations name the staff screen's fields (one per weekday); the API has one list.
HOURS_FIELDS = {"hours", *(f"day{weekday}_closes" for weekday in range(7))}


@bp.post("/centres")
@bp.arguments(CentreInput)
@bp.response(201, Centre)
@bp.errors(400, 403, 409)
@bp.doc(summary="Add a centre (admin)", tags=["Centres"])
def create_centre(data):
    require(policy.can_manage_centres(current_user))
    hours = _opening_hours(data["opening_hours"] or ())
    closed_days = _closed_days(data["closed_days"] or ())
    try:
        centre = ops.create_centre(data["name"], data["address"], data["timezone"], hours, closed_days)
    except DomainError as exc:
        if exc.field in HOURS_FIELDS:
            exc.field = "opening_hours"
        raise
    commit()
    return centre


def _opening_hours(entries):
    """{weekday: (opens, closes)}, as the operations take them; each weekday at most once."""
    hours = {}
    for entry in entries:
        if entry["weekday"] in hours:
            raise FieldError(_("%(name)s: each weekday once, closing after opening."), field="opening_hours",
                             name="opening_hours")
        hours[entry["weekday"]] = (entry["opens"], entry["closes"])
    return hours


def _closed_days(entries):
    """[(day, reason)], each day at most once."""
    days = {}
    for entry in entries:
        if entry["day"] in days:
            raise FieldError(_("%(name)s: each day once."), field="closed_days", name="closed_days")
        days[entry["day"]] = entry["reason"]
    return list(days.items())


@bp.get("/stations")
@bp.arguments(StationQuery, location="query")
@bp.response(200, Station(many=True))
@bp.doc(summary="Stations", tags=["Centres"])
def list_stations(query):
    stmt = select(models.Station).options(selectinload(models.Station.skills))
    if query.get("centre"):
        stmt = stmt.where(models.Station.centre_id == query["centre"])
    if query.get("active") is not None:
        stmt = stmt.where(models.Station.active.is_(query["active"] == "true"))
    return db.session.execute(stmt.order_by(models.Station.centre_id, models.Station.name)).scalars().all()


@bp.post("/stations")
@bp.arguments(StationInput)
@bp.response(201, Station)
@bp.errors(400, 403, 409)
@bp.doc(summary="Add a station (admin)", tags=["Centres"])
def create_station(data):
    require(policy.can_manage_centres(current_user))
    centre = find(models.Centre, data.pop("centre_id"), "centre_id")
    values = {key: value for key, value in data.items() if value is not None}
    station = ops.create_station(centre, values.pop("name"), values.pop("skill_ids"), **values)
    commit()
    return station
