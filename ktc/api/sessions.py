"""Sessions (träningstillfällen): list, plan, edit or move, cancel. Everyone reads; admins plan."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.accounts.models import User
from ktc.api import bp
from ktc.api.schemas import Choice, DateTime, Id, IdList, Integer, Ref, Schema, SkillRef, Text
from ktc.api.util import FieldError, commit, find, find_all, parse_datetime, require, within_years
from ktc.bookings.operations import seat_summary, waitlist_counts
from ktc.database import utcnow
from ktc.errors import NotFound
from ktc.extensions import db
from ktc.sessions.models import Session as SessionModel
from ktc.sessions.operations import (
    cancel_session, create_session, side_balance, update_session, upcoming_sessions,
)
from ktc.skills.models import Skill
from ktc.stations.models import Station

OFFSET = {"format": "date-time", "description": "ISO 8601 with an offset"}


class Seats(Schema):
    inline = True
    municipal = ma.fields.Integer(required=True)
    regional = ma.fields.Integer(required=True)
    free = ma.fields.Integer(required=True)
    waitlisted = ma.fields.Integer(required=True)


class Policy(Schema):
    inline = True
    min_per_side = ma.fields.Integer(required=True, metadata={"minimum": 0})
    release_before_hours = ma.fields.Integer(required=True, metadata={"minimum": 0})


class SessionCentre(Schema):
    inline = True
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)


class Session(Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    station = ma.fields.Nested(Ref, required=True)
    centre = ma.fields.Nested(SessionCentre, required=True)
    start = ma.fields.String(required=True, metadata=OFFSET)
    end = ma.fields.String(required=True, metadata=OFFSET)
    status = ma.fields.String(required=True, metadata={"enum": ["scheduled", "cancelled", "completed"]})
    capacity = ma.fields.Integer(required=True)
    skills = ma.fields.List(ma.fields.Nested(SkillRef), required=True)
    instructors = ma.fields.List(ma.fields.Nested(Ref), required=True)
    policy = ma.fields.Nested(Policy, required=True)
    seats = ma.fields.Nested(Seats, required=True)
    balance = ma.fields.String(required=True, metadata={
        "enum": ["empty", "single", "risk", "mixed"],
        "description": "Whether the session is, or risks being, single-sided"})
    series_id = ma.fields.Integer(required=True, allow_none=True)
    notes = ma.fields.String(required=True)
    priority_until = ma.fields.String(required=True, allow_none=True, metadata={
        **OFFSET, "description": "Planned from training needs: until then only the people of the units whose "
        "needs the session covers can be booked (409 seats_reserved for others); null when it was not"})


class SessionPatch(Schema):
    """What an edit may change; only the fields given change."""

    station_id = Id()
    start = DateTime()
    end = DateTime()
    capacity = Integer(minimum=1, maximum=500, metadata={"description": "Default: the station's capacity"})
    min_per_side = Integer(minimum=0, maximum=250, metadata={
        "description": "Seats held for each side (municipal, regional) until the release"})
    release_before_hours = Integer(minimum=0, maximum=24 * 365)
    instructor_ids = IdList()
    skill_ids = IdList(metadata={"description": "Default: every skill of the station"})
    title = Text(allow_empty=True)
    notes = Text(max_length=5000, allow_empty=True)


class SessionInput(SessionPatch):
    station_id = Id(required=True)
    start = DateTime(required=True)
    end = DateTime(required=True)


class SessionQuery(Schema):
    from_ = Text(data_key="from", max_length=64, metadata={
        "description": "Start of the window: date-time with offset, or a date"})
    to = Text(max_length=64, metadata={"description": "End of the window: date-time with offset, or a date (inclusive)"})
    station = Id(query=True, metadata={"description": "Station id"})
    skill = Id(query=True, metadata={"description": "Skill id"})
    centre = Id(query=True, metadata={"description": "Centre id"})
    include_cancelled = Choice(("true", "false"), metadata={"description": "true to list cancelled sessions too"})


class CancelInput(Schema):
    reason = Text(max_length=2000, allow_empty=True, metadata={"description": "Why"})


class CancelQuery(Schema):
    reason = Text(max_length=2000, allow_empty=True, metadata={"description": "Why (also accepted in a JSON body)"})


def cancel_reason(body, query):
    """The reason from the JSON body, else from the query string, else none."""
    return body.get("reason", query.get("reason", ""))


def session_json(session, waitlisted=None):
    """The session as the API shows it; waitlisted: its count from waitlist_counts when a list has one."""
    tz = ZoneInfo(session.station.centre.timezone or "Europe/Stockholm")
    return {
        "id": session.id,
        "title": session.title,
        "station": session.station,
        "centre": session.station.centre,
        "start": session.start_at.astimezone(tz).isoformat(),
        "end": session.end_at.astimezone(tz).isoformat(),
        "status": session.status,
        "capacity": session.capacity,
        "skills": session.skills,
        "instructors": session.instructors,
        "policy": session,
        "seats": seat_summary(session, waitlisted),
        "balance": side_balance(session),
        "series_id": session.series_id,
        "notes": session.notes,
        "priority_until": session.priority_until.astimezone(tz).isoformat() if session.priority_until else None,
    }


def _load_session(session_id):
    session = db.session.execute(
        select(SessionModel)
        .where(SessionModel.id == session_id)
        .options(selectinload(SessionModel.station).selectinload(Station.centre),
                 selectinload(SessionModel.instructors), selectinload(SessionModel.skills))
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
@bp.arguments(SessionQuery, location="query")
@bp.response(200, Session(many=True))
@bp.doc(summary="Sessions in a time window (default: from now on)", tags=["Sessions"])
def list_sessions(query):
    start = _window_bound("from", query.get("from_"))
    end = _window_bound("to", query.get("to"), end=True)
    if start is None and end is None:
        start = utcnow()
    sessions = upcoming_sessions(start, end, centre_id=query.get("centre"), station_id=query.get("station"),
                                 skill_id=query.get("skill"),
                                 include_cancelled=query.get("include_cancelled") == "true")
    counts = waitlist_counts([s.id for s in sessions])
    return [session_json(s, counts.get(s.id, 0)) for s in sessions]


@bp.get("/sessions/<int:session_id>")
@bp.response(200, Session)
@bp.errors(404)
@bp.doc(summary="One session", tags=["Sessions"])
def get_session(session_id):
    return session_json(_load_session(session_id))


def _session_changes(data):
    """The fields of a create or update, only those present (PATCH), as domain objects."""
    changes = {}
    if "station_id" in data:
        changes["station"] = find(Station, data["station_id"], "station_id")
    for name, key in (("start", "start_at"), ("end", "end_at")):
        if name in data:
            changes[key] = data[name]
    for name in ("capacity", "min_per_side", "release_before_hours", "title", "notes"):
        if name in data:
            changes[name] = data[name]
    if "instructor_ids" in data:
        changes["instructors"] = find_all(User, data["instructor_ids"], "instructor_ids")
    if "skill_ids" in data:
        changes["skills"] = find_all(Skill, data["skill_ids"], "skill_ids")
    return changes


@bp.post("/sessions")
@bp.arguments(SessionInput)
@bp.response(201, Session)
@bp.errors(400, 403, 409)
@bp.doc(summary="Plan a session (admin)", tags=["Sessions"])
def create_session_endpoint(data):
    require(policy.can_plan_sessions(current_user))
    changes = _session_changes(data)
    station = changes.pop("station")
    session = create_session(current_user, station, changes.pop("start_at"), changes.pop("end_at"), **changes)
    commit()
    return session_json(session)


@bp.patch("/sessions/<int:session_id>")
@bp.arguments(SessionPatch)
@bp.response(200, Session)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Edit or move a session (admin); a move updates attendees' calendars", tags=["Sessions"])
def update_session_endpoint(data, session_id):
    require(policy.can_plan_sessions(current_user))
    session = _load_session(session_id)
    update_session(current_user, session, **_session_changes(data))
    commit()
    return session_json(session)


@bp.delete("/sessions/<int:session_id>")
@bp.arguments(CancelQuery, location="query")
@bp.arguments(CancelInput, required=False)
@bp.response(200, Session)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Cancel a session and its bookings (admin); everyone affected is told", tags=["Sessions"])
def cancel_session_endpoint(query, body, session_id):
    require(policy.can_plan_sessions(current_user))
    session = _load_session(session_id)
    cancel_session(current_user, session, cancel_reason(body, query))
    commit()
    return session_json(session)
