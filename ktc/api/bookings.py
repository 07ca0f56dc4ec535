"""Team booking into a session, and reading or cancelling one booking."""
from functools import cache

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schemas import Boolean, IdList, Schema
from ktc.api.sessions import CancelInput, CancelQuery, Seats, cancel_reason
from ktc.api.util import FieldError, commit, iso, require
from ktc.bookings.models import BOOKING_STATUSES, Booking as BookingModel
from ktc.bookings.operations import (
    book_team,
    cancel_booking,
    people_to_book,
    people_to_book_statement,
    seat_summary,
    session_to_book,
)
from ktc.database import one_of, one_of_bind
from ktc.errors import NotFound
from ktc.extensions import db
from ktc.organisations.models import Participant

OFFSET = {"format": "date-time", "description": "ISO 8601 with an offset"}


class BookingResult(Schema):
    participant_id = ma.fields.Integer(required=True)
    booking_id = ma.fields.Integer(required=True, allow_none=True,
                                   metadata={"description": "null when refused (nothing saved)"})
    status = ma.fields.String(required=True, metadata={"enum": ["confirmed", "waitlisted", "refused"]})
    reason = ma.fields.String(required=True, allow_none=True,
                              metadata={"description": "Why the person was not confirmed (translated)"})
    code = ma.fields.String(allow_none=True, metadata={
        "description": "Stable code of the reason, e.g. session_full, quota_reached"})


class TeamBookingInput(Schema):
    participant_ids = IdList(required=True, min_items=1, metadata={
        "description": "In order of priority: seats first, then the waitlist"})
    all_or_nothing = Boolean(load_default=False)


class TeamBookingResult(Schema):
    results = ma.fields.List(ma.fields.Nested(BookingResult), required=True)
    seats = ma.fields.Nested(Seats, required=True)


class BookingSession(Schema):
    inline = True
    id = ma.fields.Integer(required=True)
    station = ma.fields.String(required=True)
    start = ma.fields.String(required=True, metadata=OFFSET)
    end = ma.fields.String(required=True, metadata=OFFSET)
    status = ma.fields.String(required=True)


class Booking(Schema):
    id = ma.fields.Integer(required=True)
    session_id = ma.fields.Integer(required=True)
    participant_id = ma.fields.Integer(required=True)
    participant = ma.fields.String(required=True)
    side = ma.fields.String(required=True, metadata={"enum": ["municipal", "regional"]})
    status = ma.fields.String(required=True, metadata={"enum": list(BOOKING_STATUSES)})
    booked_at = ma.fields.String(required=True, metadata=OFFSET)
    confirmed_at = ma.fields.String(required=True, allow_none=True, metadata=OFFSET)
    cancelled_at = ma.fields.String(required=True, allow_none=True, metadata=OFFSET)
    cancel_reason = ma.fields.String(required=True, allow_none=True)
    session = ma.fields.Nested(BookingSession, required=True)


def booking_json(booking):
    session = booking.session
    return {
        "id": booking.id,
        "session_id": booking.session_id,
        "participant_id": booking.participant_id,
        "participant": booking.participant.name,
        "side": booking.side,
        "status": booking.status,
        "booked_at": iso(booking.booked_at),
        "confirmed_at": iso(booking.confirmed_at),
        "cancelled_at": iso(booking.cancelled_at),
        "cancel_reason": booking.cancel_reason,
        "session": {
            "id": session.id,
            "station": session.station.name,
            "start": iso(session.start_at),
            "end": iso(session.end_at),
            "status": session.status,
        },
    }


@cache
def _people(dialect, single):
    """Built once per database (and for one person or more): the people named (a list, `one_of`),
    whatever their state (the operation says why it refuses someone), as people_to_book reads them,
    locked in id order."""
    return people_to_book_statement(one_of(Participant.__table__.c.id, "ids", dialect, single))


@bp.post("/sessions/<int:session_id>/bookings")
@bp.arguments(TeamBookingInput)
@bp.response(201, TeamBookingResult, description=(
    "One result per person. 201 when at least one booking was made (confirmed or waitlisted), 200 when "
    "everyone was refused. With all_or_nothing, a team that does not fit gets 409 with the error and the "
    "per-person results, and nothing is saved."))
@bp.alt_response(200, schema=TeamBookingResult, description="Nobody could be booked (see each result's reason)",
                 success=True)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Book a team into a session (admin, manager for their own units' staff)", tags=["Bookings"])
def book_session(data, session_id):
    actor = current_user._get_current_object()
    require(policy.can_book(actor))
    # Where it is (the time zone of a quota message) and how many wait for it per side, with the
    # session in one prebuilt query.
    session, waiting = session_to_book(session_id)
    if session is None:
        raise NotFound()
    ids, all_or_nothing = data["participant_ids"], data["all_or_nothing"]
    # Locked as they are read (book_team does not read them again to lock them).
    dialect = db.session.get_bind().dialect.name
    single, bound = one_of_bind(ids, dialect)
    found = {p.id: p for p in people_to_book(_people(dialect, single), {"ids": bound})}
    # Someone else's staff or an unknown id: a manager learns nothing about which it was.
    for pid in ids:
        if pid not in found or not policy.can_manage_participant(actor, found[pid]):
            if policy.is_admin(actor):
                raise FieldError(_("%(name)s refers to nothing that exists."), field="participant_ids",
                                 name="participant_ids")
            require(False)
    results = book_team(actor, session, [found[pid] for pid in ids], all_or_nothing=all_or_nothing,
                        waiting=waiting)
    # The answer is built from what was just written: nothing needs reloading but the seat counters.
    commit(keep_loaded=True)
    made = any(r.booking is not None for r in results)
    return {"results": [r.as_dict() for r in results], "seats": seat_summary(session, results.waitlisted)}, \
        201 if made else 200


def _load_booking(booking_id):
    booking = db.session.execute(
        select(BookingModel)
        .where(BookingModel.id == booking_id)
        .options(selectinload(BookingModel.participant).selectinload(Participant.unit), selectinload(BookingModel.session))
    ).scalar_one_or_none()
    # Bookings of people the caller may not see are "not found", so their existence is not revealed.
    if booking is None or not policy.can_view_booking(current_user, booking):
        raise NotFound()
    return booking


@bp.get("/bookings/<int:booking_id>")
@bp.response(200, Booking)
@bp.errors(404)
@bp.doc(summary="One booking (visible to admins, the person, their manager and the session's instructors)",
        tags=["Bookings"])
def get_booking(booking_id):
    return booking_json(_load_booking(booking_id))


@bp.delete("/bookings/<int:booking_id>")
@bp.arguments(CancelQuery, location="query")
@bp.arguments(CancelInput, required=False)
@bp.response(200, Booking)
@bp.errors(400, 403, 404, 409)
@bp.doc(summary="Cancel a booking (admin, the person's manager, or the person); a freed seat goes to the waitlist",
        tags=["Bookings"])
def cancel_booking_endpoint(query, body, booking_id):
    booking = _load_booking(booking_id)
    require(policy.can_cancel_booking(current_user, booking))
    cancel_booking(current_user, booking, cancel_reason(body, query))
    commit()
    return booking_json(booking)
