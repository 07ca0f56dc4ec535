"""Sessions (träningstillfällen): list, plan, edit or move, cancel. Everyone reads; admins plan."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.accounts.models import User
from ktc.api import bp
from ktc.api.schema import (
    DATETIME, INT, STR, array_of, obj, operation, path_id, query, ref,
)
from ktc.api.util import (
    FieldError, Fields, commit, json_body, ok, optional_json_body, parse_datetime, query_fields, require,
    within_years,
)
from ktc.bookings.operations import seat_summary, waitlist_counts
from ktc.database import utcnow
from ktc.errors import NotFound
from ktc.extensions import db
from ktc.sessions.models import Session
from ktc.sessions.operations import (
    cancel_session, create_session, side_balance, update_session, upcoming_sessions,
)
from ktc.skills.models import Skill
from ktc.stations.models import Station


def session_json(session, waitlisted=None):
    """The session as the API shows it; waitlisted: its count from waitlist_counts when a list has one."""
    tz = ZoneInfo(session.station.centre.timezone or "Europe/Stockholm")
    return {
        "id": session.id,
        "title": session.title,
        "station": {"id": session.station.id, "name": session.station.name},
        "centre": {"id": session.station.centre.id, "name": session.station.centre.name,
                   "timezone": session.station.centre.timezone},
        "start": session.start_at.astimezone(tz).isoformat(),
        "end": session.end_at.astimezone(tz).isoformat(),
        "status": session.status,
        "capacity": session.capacity,
        "skills": [{"id": s.id, "code": s.code, "name": s.name} for s in session.skills],
        "instructors": [{"id": i.id, "name": i.name} for i in session.instructors],
        "policy": {"min_per_side": session.min_per_side, "release_before_hours": session.release_before_hours},
        "seats": seat_summary(session, waitlisted),
        "balance": side_balance(session),
        "series_id": session.series_id,
        "notes": session.notes,
    }


def _load_session(session_id):
    session = db.session.execute(
        select(Session)
        .where(Session.id == session_id)
        .options(selectinload(Session.station).selectinload(Station.centre),
                 selectinload(Session.instructors), selectinload(Session.skills))
    ).scalar_one_or_none()
    if session is None:
        raise NotFound()
    return session


def _window_bound(name, value, end=False):
    """`from`/`to` as a date-time with offset, or a plain date (the whole day, centre time)."""
    if value is None or value == "":
        return None
    # An unencoded "+01:00" arrives as " 01:00" in a query string.
    text = value.strip()
    if len(text) > 10 and text[-6] == " ":
        text = text[:-6] + "+" + text[-5:]
    if len(text) == 10:
        try:
            day = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise FieldError(_("%(name)s must be a date or a date and time with an offset."), field=name,
                             name=name) from None
        within_years(name, day)
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return parse_datetime(name, text)


@bp.get("/sessions")
def list_sessions():
    q = query_fields()
    start = _window_bound("from", request.args.get("from"))
    end = _window_bound("to", request.args.get("to"), end=True)
    station_id = q.integer("station", minimum=1)
    skill_id = q.integer("skill", minimum=1)
    centre_id = q.integer("centre", minimum=1)
    include_cancelled = q.choice("include_cancelled", ("true", "false"), default="false") == "true"
    if start is None and end is None:
        start = utcnow()
    sessions = upcoming_sessions(start, end, centre_id=centre_id, station_id=station_id, skill_id=skill_id,
                                 include_cancelled=include_cancelled)
    counts = waitlist_counts([s.id for s in sessions])
    return ok([session_json(s, counts.get(s.id, 0)) for s in sessions])


@bp.get("/sessions/<int:session_id>")
def get_session(session_id):
    return ok(session_json(_load_session(session_id)))


def _session_fields(fields, creating):
    """The fields of a create or update, only those present (PATCH), converted to domain objects."""
    changes = {}
    if creating or fields.has("station_id"):
        changes["station"] = fields.obj("station_id", Station, required=True)
    for name, key in (("start", "start_at"), ("end", "end_at")):
        if creating or fields.has(name):
            changes[key] = fields.datetime(name, required=True)
    for name, low, high in (("capacity", 1, 500), ("min_per_side", 0, 250), ("release_before_hours", 0, 24 * 365)):
        if fields.has(name):
            changes[name] = fields.integer(name, required=True, minimum=low, maximum=high)
    if fields.has("instructor_ids"):
        changes["instructors"] = fields.objects("instructor_ids", User, required=True)
    if fields.has("skill_ids"):
        changes["skills"] = fields.objects("skill_ids", Skill, required=True)
    if fields.has("title"):
        changes["title"] = fields.string("title", required=True, allow_empty=True)
    if fields.has("notes"):
        changes["notes"] = fields.string("notes", required=True, max_length=5000, allow_empty=True)
    return changes


@bp.post("/sessions")
def create_session_endpoint():
    require(policy.can_plan_sessions(current_user))
    changes = _session_fields(Fields(json_body()), creating=True)
    station = changes.pop("station")
    session = create_session(current_user, station, changes.pop("start_at"), changes.pop("end_at"), **changes)
    commit()
    return ok(session_json(session), 201)


@bp.patch("/sessions/<int:session_id>")
def update_session_endpoint(session_id):
    require(policy.can_plan_sessions(current_user))
    session = _load_session(session_id)
    changes = _session_fields(Fields(json_body()), creating=False)
    update_session(current_user, session, **changes)
    commit()
    return ok(session_json(session))


@bp.delete("/sessions/<int:session_id>")
def cancel_session_endpoint(session_id):
    require(policy.can_plan_sessions(current_user))
    session = _load_session(session_id)
    reason = Fields(optional_json_body()).string("reason", max_length=2000)
    if reason is None:
        reason = query_fields().string("reason", max_length=2000, default="")
    cancel_session(current_user, session, reason)
    commit()
    return ok(session_json(session))


SEATS = obj({"municipal": INT, "regional": INT, "free": INT, "waitlisted": INT},
            required=("municipal", "regional", "free", "waitlisted"))
POLICY = obj({"min_per_side": {"type": "integer", "minimum": 0},
              "release_before_hours": {"type": "integer", "minimum": 0}},
             required=("min_per_side", "release_before_hours"))
REF = obj({"id": INT, "name": STR})
SESSION = obj(
    {
        "id": INT, "title": STR, "station": REF,
        "centre": obj({"id": INT, "name": STR, "timezone": STR}),
        "start": DATETIME, "end": DATETIME,
        "status": {"type": "string", "enum": ["scheduled", "cancelled", "completed"]},
        "capacity": INT,
        "skills": {"type": "array", "items": obj({"id": INT, "code": STR, "name": STR})},
        "instructors": {"type": "array", "items": REF},
        "policy": POLICY, "seats": SEATS,
        "balance": {"type": "string", "enum": ["empty", "single", "risk", "mixed"],
                    "description": "Whether the session is, or risks being, single-sided"},
        "series_id": {"type": ["integer", "null"]}, "notes": STR,
    },
    required=("id", "station", "centre", "start", "end", "status", "capacity", "skills", "instructors",
              "policy", "seats"),
)
INPUT_PROPS = {
    "station_id": INT,
    "start": DATETIME,
    "end": DATETIME,
    "capacity": {"type": "integer", "minimum": 1, "description": "Default: the station's capacity"},
    "min_per_side": {"type": "integer", "minimum": 0, "default": 0,
                     "description": "Seats held for each side (municipal, regional) until the release"},
    "release_before_hours": {"type": "integer", "minimum": 0, "default": 72},
    "instructor_ids": {"type": "array", "items": INT},
    "skill_ids": {"type": "array", "items": INT, "description": "Default: every skill of the station"},
    "title": STR,
    "notes": STR,
}
SCHEMAS = {
    "Session": SESSION,
    "Seats": SEATS,
    "SessionInput": obj(INPUT_PROPS, required=("station_id", "start", "end")),
    "SessionPatch": obj(INPUT_PROPS),
    "CancelInput": obj({"reason": STR}),
}
SESSION_ID = path_id("session_id")
_cancel = operation(
    "Cancel a session and its bookings (admin); everyone affected is told", "Sessions",
    response=ref("Session"), params=[SESSION_ID, query("reason", "Why (also accepted in a JSON body)")],
    errors=("400", "403", "404", "409", "422"),
)
_cancel["requestBody"] = {"required": False, "content": {"application/json": {"schema": ref("CancelInput")}}}
PATHS = {
    "/api/v1/sessions": {
        "get": operation(
            "Sessions in a time window (default: from now on)", "Sessions", response=array_of("Session"),
            params=[query("from", "Start of the window: date-time with offset, or a date", {"type": "string"}),
                    query("to", "End of the window: date-time with offset, or a date (inclusive)",
                          {"type": "string"}),
                    query("station", "Station id", INT), query("skill", "Skill id", INT),
                    query("centre", "Centre id", INT),
                    query("include_cancelled", "true to list cancelled sessions too",
                          {"type": "string", "enum": ["true", "false"]})],
            errors=("422",),
        ),
        "post": operation("Plan a session (admin)", "Sessions", status="201", response=ref("Session"),
                          request=ref("SessionInput"), errors=("400", "403", "409", "422")),
    },
    "/api/v1/sessions/{session_id}": {
        "get": operation("One session", "Sessions", response=ref("Session"), params=[SESSION_ID], errors=("404",)),
        "patch": operation(
            "Edit or move a session (admin); a move updates attendees' calendars", "Sessions",
            response=ref("Session"), request=ref("SessionPatch"), params=[SESSION_ID],
            errors=("400", "403", "404", "409", "422"),
        ),
        "delete": _cancel,
    },
}
