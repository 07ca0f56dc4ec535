"""Centres (opening hours, closed days, time zone) and their stations. Everyone reads; admins write."""
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schema import BOOL, INT, STR, array_of, obj, operation, query, ref
from ktc.api.util import Fields, FieldError, commit, json_body, ok, query_fields, require
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.stations import operations as ops
from ktc.stations.models import Centre, Station


def centre_json(centre):
    return {
        "id": centre.id,
        "name": centre.name,
        "address": centre.address,
        "timezone": centre.timezone,
        "opening_hours": [
            {"weekday": h.weekday, "opens": h.opens.strftime("%H:%M"), "closes": h.closes.strftime("%H:%M")}
            for h in centre.opening_hours
        ],
        "closed_days": [{"day": d.day.isoformat(), "reason": d.reason} for d in centre.closed_days],
    }


def station_json(station):
    return {
        "id": station.id,
        "centre_id": station.centre_id,
        "name": station.name,
        "description": station.description,
        "skills": [{"id": s.id, "code": s.code, "name": s.name} for s in station.skills],
        "default_capacity": station.default_capacity,
        "default_duration_minutes": station.default_duration_minutes,
        "changeover_minutes": station.changeover_minutes,
        "equipment_notes": station.equipment_notes,
        "active": station.active,
    }


@bp.get("/centres")
def list_centres():
    return ok([centre_json(c) for c in ops.list_centres()])


# The operations name the staff screen's fields (one per weekday); the API has one list.
HOURS_FIELDS = {"hours", *(f"day{weekday}_closes" for weekday in range(7))}


@bp.post("/centres")
def create_centre():
    require(policy.can_manage_centres(current_user))
    fields = Fields(json_body())
    name = fields.string("name", required=True)
    address = fields.string("address", max_length=300, default="")
    timezone = fields.string("timezone", max_length=64)
    hours = _opening_hours(fields)
    closed_days = _closed_days(fields)
    try:
        centre = ops.create_centre(name, address, timezone, hours, closed_days)
    except DomainError as exc:
        if exc.field in HOURS_FIELDS:
            exc.field = "opening_hours"
        raise
    commit()
    return ok(centre_json(centre), 201)


def _list_of_objects(fields, name):
    value = fields.data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value) or len(value) > 400:
        raise FieldError(_("%(name)s must be a list of objects."), field=name, name=name)
    return value


def _opening_hours(fields):
    """{weekday: (opens, closes)}, as the operations take them; each weekday at most once."""
    hours = {}
    for entry in _list_of_objects(fields, "opening_hours"):
        item = Fields(entry)
        try:
            weekday = item.integer("weekday", required=True, minimum=0, maximum=6)
            opens, closes = item.time("opens", required=True), item.time("closes", required=True)
        except FieldError as exc:
            raise FieldError(exc.message, field=f"opening_hours.{exc.field}", **exc.params) from None
        if weekday in hours:
            raise FieldError(_("%(name)s: each weekday once, closing after opening."), field="opening_hours",
                             name="opening_hours")
        hours[weekday] = (opens, closes)
    return hours


def _closed_days(fields):
    """[(day, reason)], each day at most once."""
    days = {}
    for entry in _list_of_objects(fields, "closed_days"):
        item = Fields(entry)
        try:
            day = item.date("day", required=True)
            reason = item.string("reason", default="")
        except FieldError as exc:
            raise FieldError(exc.message, field=f"closed_days.{exc.field}", **exc.params) from None
        if day in days:
            raise FieldError(_("%(name)s: each day once."), field="closed_days", name="closed_days")
        days[day] = reason
    return list(days.items())


@bp.get("/stations")
def list_stations():
    q = query_fields()
    stmt = select(Station).options(selectinload(Station.skills))
    centre_id = q.integer("centre", minimum=1)
    if centre_id:
        stmt = stmt.where(Station.centre_id == centre_id)
    active = q.choice("active", ("true", "false"))
    if active is not None:
        stmt = stmt.where(Station.active.is_(active == "true"))
    stations = db.session.execute(stmt.order_by(Station.centre_id, Station.name)).scalars().all()
    return ok([station_json(s) for s in stations])


@bp.post("/stations")
def create_station():
    require(policy.can_manage_centres(current_user))
    fields = Fields(json_body())
    centre = fields.obj("centre_id", Centre, required=True)
    name = fields.string("name", required=True)
    values = {"description": fields.string("description", max_length=5000, default="")}
    # The operation's limits, checked as the input is read so that a number out of range is a field error.
    for key, (low, high, _message) in ops.STATION_LIMITS.items():
        number = fields.integer(key, minimum=low, maximum=high)
        if number is not None:
            values[key] = number
    values["equipment_notes"] = fields.string("equipment_notes", max_length=5000, default="")
    values["active"] = fields.boolean("active", default=True)
    station = ops.create_station(centre, name, fields.id_list("skill_ids") or (), **values)
    commit()
    return ok(station_json(station), 201)


HHMM = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}
OPENING = obj({"weekday": {"type": "integer", "minimum": 0, "maximum": 6, "description": "0 = Monday"},
               "opens": HHMM, "closes": HHMM}, required=("weekday", "opens", "closes"))
CLOSED = obj({"day": {"type": "string", "format": "date"}, "reason": STR}, required=("day",))
CENTRE_PROPS = {
    "name": {"type": "string", "maxLength": 200},
    "address": {"type": "string", "maxLength": 300},
    "timezone": {"type": "string", "default": ops.DEFAULT_TIMEZONE,
                 "description": "An IANA time zone such as Europe/Stockholm (or UTC)"},
    "opening_hours": {"type": "array", "items": OPENING},
    "closed_days": {"type": "array", "items": CLOSED},
}
STATION_PROPS = {
    "centre_id": INT,
    "name": {"type": "string", "maxLength": 200},
    "description": STR,
    **{key: {"type": "integer", "minimum": low, "maximum": high}
       for key, (low, high, _message) in ops.STATION_LIMITS.items()},
    "equipment_notes": STR,
    "active": BOOL,
}
SCHEMAS = {
    "Centre": obj({"id": INT, **CENTRE_PROPS}, required=("id", "name", "timezone")),
    "CentreInput": obj(CENTRE_PROPS, required=("name",)),
    "Station": obj({"id": INT, **STATION_PROPS,
                    "skills": {"type": "array", "items": obj({"id": INT, "code": STR, "name": STR})}},
                   required=("id", "centre_id", "name")),
    "StationInput": obj({**STATION_PROPS, "skill_ids": {"type": "array", "items": INT}},
                        required=("centre_id", "name")),
}
PATHS = {
    "/api/v1/centres": {
        "get": operation("Centres with opening hours and closed days", "Centres", response=array_of("Centre")),
        "post": operation("Add a centre (admin)", "Centres", status="201", response=ref("Centre"),
                          request=ref("CentreInput"), errors=("400", "403", "409", "422")),
    },
    "/api/v1/stations": {
        "get": operation("Stations", "Centres", response=array_of("Station"),
                         params=[query("centre", "Centre id", INT),
                                 query("active", "true or false", {"type": "string", "enum": ["true", "false"]})],
                         errors=("422",)),
        "post": operation("Add a station (admin)", "Centres", status="201", response=ref("Station"),
                          request=ref("StationInput"), errors=("400", "403", "409", "422")),
    },
}
