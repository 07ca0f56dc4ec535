"""Team booking into a session, and reading or cancelling one booking."""
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ktc import policy
from ktc.api import bp
from ktc.api.schema import (
    BOOL, DATETIME, INT, NULLABLE_STR, STR, obj, operation, path_id, query, ref,
)
from ktc.api.sessions import SESSION_ID
from ktc.api.util import (
    FieldError, Fields, commit, get_or_404, iso, json_body, ok, optional_json_body, query_fields, require,
)
from ktc.bookings.models import BOOKING_STATUSES, Booking
from ktc.bookings.operations import book_team, cancel_booking, seat_summary
from ktc.errors import NotFound
from ktc.extensions import db
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.sessions.models import Session
from ktc.stations.models import Station


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


@bp.post("/sessions/<int:session_id>/bookings")
def book_session(session_id):
    require(policy.can_book(current_user))
    # Station and centre (the time zone of the e-mails) with the session, in the same query.
    session = get_or_404(Session, session_id, options=[joinedload(Session.station).joinedload(Station.centre)])
    fields = Fields(json_body())
    ids = fields.id_list("participant_ids", required=True)
    if not ids:
        raise FieldError(_("%(name)s is required."), field="participant_ids", name="participant_ids")
    all_or_nothing = fields.boolean("all_or_nothing", default=False)
    found = {
        p.id: p
        for p in db.session.execute(
            select(Participant)
            .join(Unit, Unit.id == Participant.unit_id)
            .join(Organisation, Organisation.id == Unit.organisation_id)
            .where(Participant.id.in_(ids))
            .options(contains_eager(Participant.unit).contains_eager(Unit.organisation))
        ).scalars()
    }
    # Someone else's staff or an unknown id: a manager learns nothing about which it was.
    for pid in ids:
        if pid not in found or not policy.can_manage_participant(current_user, found[pid]):
            if policy.is_admin(current_user):
                raise FieldError(_("%(name)s refers to nothing that exists."), field="participant_ids",
                                 name="participant_ids")
            require(False)
    results = book_team(current_user, session, [found[pid] for pid in ids], all_or_nothing=all_or_nothing)
    # The answer is built from what was just written: nothing needs reloading but the seat counters.
    commit(keep_loaded=True)
    made = any(r.booking is not None for r in results)
    return ok({"results": [r.as_dict() for r in results], "seats": seat_summary(session)}, 201 if made else 200)


def _load_booking(booking_id):
    booking = db.session.execute(
        select(Booking)
        .where(Booking.id == booking_id)
        .options(selectinload(Booking.participant).selectinload(Participant.unit), selectinload(Booking.session))
    ).scalar_one_or_none()
    # Bookings of people the caller may not see are "not found", so their existence is not revealed.
    if booking is None or not policy.can_view_booking(current_user, booking):
        raise NotFound()
    return booking


@bp.get("/bookings/<int:booking_id>")
def get_booking(booking_id):
    return ok(booking_json(_load_booking(booking_id)))


@bp.delete("/bookings/<int:booking_id>")
def cancel_booking_endpoint(booking_id):
    booking = _load_booking(booking_id)
    require(policy.can_cancel_booking(current_user, booking))
    reason = Fields(optional_json_body()).string("reason", max_length=2000)
    if reason is None:
        reason = query_fields().string("reason", max_length=2000, default="")
    cancel_booking(current_user, booking, reason)
    commit()
    return ok(booking_json(booking))


RESULT = obj(
    {
        "participant_id": INT,
        "booking_id": {"type": ["integer", "null"], "description": "null when refused (nothing saved)"},
        "status": {"type": "string", "enum": ["confirmed", "waitlisted", "refused"]},
        "reason": {**NULLABLE_STR, "description": "Why the person was not confirmed (translated)"},
        "code": {**NULLABLE_STR, "description": "Stable code of the reason, e.g. session_full, quota_reached"},
    },
    required=("participant_id", "booking_id", "status", "reason"),
)
SCHEMAS = {
    "BookingResult": RESULT,
    "TeamBookingInput": obj(
        {"participant_ids": {"type": "array", "items": INT, "minItems": 1,
                             "description": "In order of priority: seats first, then the waitlist"},
         "all_or_nothing": {**BOOL, "default": False}},
        required=("participant_ids",),
    ),
    "TeamBookingResult": obj(
        {"results": {"type": "array", "items": ref("BookingResult")}, "seats": ref("Seats")},
        required=("results",),
    ),
    "Booking": obj(
        {
            "id": INT, "session_id": INT, "participant_id": INT, "participant": STR,
            "side": {"type": "string", "enum": ["municipal", "regional"]},
            "status": {"type": "string", "enum": list(BOOKING_STATUSES)},
            "booked_at": DATETIME, "confirmed_at": {"type": ["string", "null"], "format": "date-time"},
            "cancelled_at": {"type": ["string", "null"], "format": "date-time"}, "cancel_reason": NULLABLE_STR,
            "session": obj({"id": INT, "station": STR, "start": DATETIME, "end": DATETIME, "status": STR}),
        },
        required=("id", "session_id", "participant_id", "status"),
    ),
}
BOOKING_ID = path_id("booking_id")
_team = operation(
    "Book a team into a session (admin, manager for their own units' staff)", "Bookings", status="201",
    description="One result per person. 201 when at least one booking was made (confirmed or waitlisted), "
    "200 when everyone was refused. With all_or_nothing, a team that does not fit gets 409 with the error "
    "and the per-person results, and nothing is saved.",
    response=ref("TeamBookingResult"), request=ref("TeamBookingInput"), params=[SESSION_ID],
    errors=("400", "403", "404", "409", "422"),
)
_team["responses"]["200"] = {"description": "Nobody could be booked (see each result's reason)",
                             "content": {"application/json": {"schema": ref("TeamBookingResult")}}}
_cancel = operation(
    "Cancel a booking (admin, the person's manager, or the person); a freed seat goes to the waitlist",
    "Bookings", response=ref("Booking"), params=[BOOKING_ID, query("reason", "Why (also accepted in a JSON body)")],
    errors=("400", "403", "404", "409", "422"),
)
_cancel["requestBody"] = {"required": False, "content": {"application/json": {"schema": ref("CancelInput")}}}
PATHS = {
    "/api/v1/sessions/{session_id}/bookings": {"post": _team},
    "/api/v1/bookings/{booking_id}": {
        "get": operation("One booking (visible to admins, the person, their manager and the session's "
                         "instructors)", "Bookings", response=ref("Booking"), params=[BOOKING_ID], errors=("404",)),
        "delete": _cancel,
    },
}
