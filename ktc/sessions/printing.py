"""Printable participant lists: one session's, and a day's at a centre (for signing on the day)."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc import policy
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.i18n import to_local
from ktc.organisations.models import Participant, Unit
from ktc.sessions import bp
from ktc.sessions.models import Session, session_instructors
from ktc.stations.models import Centre, Station
from ktc.web import get_or_404, object_id

# People who hold a seat sign the list; the waiting list is printed below it, without signatures.
SEATED = ("confirmed", "attended", "no_show")


@bp.app_template_filter("local_day")
def local_day(value, tz=None):
    """The ISO date of an instant on the centre's clock (for links to a day's lists)."""
    return to_local(value, tz).date().isoformat()


def _loaded():
    """Everything a printed list shows, in a fixed number of statements whatever the number of people."""
    return [
        selectinload(Session.station).selectinload(Station.centre),
        selectinload(Session.instructors),
        selectinload(Session.skills),
        selectinload(Session.bookings).selectinload(Booking.participant).options(
            selectinload(Participant.unit).selectinload(Unit.organisation), selectinload(Participant.profession)),
    ]


def _lists(session):
    """The session's seated people and its waiting list, each by name."""
    live = [b for b in session.bookings if b.status != "cancelled"]
    seated = sorted((b for b in live if b.status in SEATED), key=lambda b: (b.participant.name.casefold(), b.id))
    waiting = [b for b in live if b.status == "waitlisted"]
    return seated, waiting


@bp.route("/<int:session_id>/print")
@login_required
def print_list(session_id):
    """A session's participant list with a signature column, for admins and the session's instructors."""
    session = get_or_404(Session, session_id, options=_loaded())
    if not policy.can_print_participants(current_user, session):
        abort(403)
    seated, waiting = _lists(session)
    return render_template("sessions/print.html", sessions=[(session, seated, waiting)], day=None, centre=None,
                           tz=session.station.centre.timezone)


@bp.route("/day/<day>/print")
@login_required
def print_day(day):
    """Every session of a day (at one centre with `?centre=`), each with its list; instructors see their own."""
    if not policy.can_print_day(current_user):
        abort(403)
    try:
        day = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not date(2000, 1, 1) <= day <= date(2999, 12, 31):
        abort(404)
    centre = None
    centre_id = request.args.get("centre", type=object_id)
    if centre_id is not None:
        centre = db.session.get(Centre, centre_id) if 0 < centre_id < 2**31 else None
        if centre is None:
            abort(404)
    centres = [centre] if centre else db.session.execute(select(Centre).order_by(Centre.name)).scalars().all()
    sessions = []
    for c in centres:
        # The day as the centre's clock has it (a day can be 23 or 25 hours long).
        zone = ZoneInfo(c.timezone)
        start = datetime.combine(day, time.min, tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        stmt = (
            select(Session).join(Session.station)
            .where(Station.centre_id == c.id, Session.status != "cancelled",
                   Session.start_at < end, Session.end_at > start)
            .options(*_loaded()).order_by(Session.start_at, Session.id)
        )
        if not policy.is_admin(current_user):
            stmt = stmt.where(Session.id.in_(
                select(session_instructors.c.session_id).where(session_instructors.c.user_id == current_user.id)))
        sessions += db.session.execute(stmt).scalars().all()
    tz = centre.timezone if centre else (centres[0].timezone if centres else None)
    return render_template("sessions/print.html", sessions=[(s, *_lists(s)) for s in sessions], day=day,
                           centre=centre, tz=tz)
