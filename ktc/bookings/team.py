"""The manager's team bookings: every booking of the people in their units, filtered.

One statement reads a page of bookings with the person, unit, session, station and centre, and one
more the sessions' skills, so the page costs the same number of queries whatever the data size.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ktc import policy
from ktc.bookings.models import Booking
from ktc.bookings.operations import cutoff_at
from ktc.database import utcnow
from ktc.extensions import db
from ktc.i18n import DEFAULT_TZ
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.sessions.models import Session, session_skills
from ktc.stations.models import Station

# What the page shows: coming bookings (seat or waiting), only the waiting ones, those of sessions
# that are over, the cancelled ones, or everything.
VIEWS = ("upcoming", "waitlisted", "past", "cancelled", "all")
PAGE_SIZE = 100


@dataclass
class TeamFilters:
    view: str = "upcoming"
    unit_id: int | None = None
    participant_id: int | None = None
    skill_id: int | None = None
    session_id: int | None = None
    start: date | None = None  # first day, in the centre's time zone
    end: date | None = None  # last day, inclusive


def _day_start(day, tz=DEFAULT_TZ):
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))


def visible_booking_condition(actor):
    """Bookings of the people this user manages (every booking for admins)."""
    if policy.is_admin(actor):
        return Booking.id.isnot(None)
    return Participant.unit_id.in_(policy.managed_unit_ids(actor) or {0})


def _conditions(actor, filters, now):
    conditions = [visible_booking_condition(actor)]
    active = Booking.status.in_(("confirmed", "waitlisted"))
    if filters.view == "upcoming":
        conditions += [active, Session.end_at >= now]
    elif filters.view == "waitlisted":
        conditions += [Booking.status == "waitlisted", Session.end_at >= now]
    elif filters.view == "past":
        conditions += [Booking.status != "cancelled", Session.end_at < now]
    elif filters.view == "cancelled":
        conditions.append(Booking.status == "cancelled")
    if filters.unit_id:
        conditions.append(Participant.unit_id == filters.unit_id)
    if filters.participant_id:
        conditions.append(Booking.participant_id == filters.participant_id)
    if filters.session_id:
        conditions.append(Booking.session_id == filters.session_id)
    if filters.skill_id:
        covering = select(session_skills.c.session_id).where(session_skills.c.skill_id == filters.skill_id)
        conditions.append(Booking.session_id.in_(covering))
    if filters.start:
        conditions.append(Session.start_at >= _day_start(filters.start))
    if filters.end:
        conditions.append(Session.start_at < _day_start(filters.end + timedelta(days=1)))
    return conditions


def _base(actor, filters, now):
    return (
        select(Booking)
        .join(Participant, Participant.id == Booking.participant_id)
        .join(Unit, Unit.id == Participant.unit_id)
        .join(Session, Session.id == Booking.session_id)
        .where(and_(*_conditions(actor, filters, now)))
    )


def count_team_bookings(actor, filters, now=None):
    now = now or utcnow()
    stmt = _base(actor, filters, now).with_only_columns(func.count(Booking.id)).order_by(None)
    return db.session.execute(stmt).scalar_one()


def team_bookings(actor, filters, now=None, limit=None, offset=0):
    """The bookings matching the filters, coming ones first in start order, others newest first."""
    now = now or utcnow()
    if filters.view in ("upcoming", "waitlisted"):
        order = (Session.start_at, Session.id, Participant.name, Booking.id)
    else:
        order = (Session.start_at.desc(), Session.id, Participant.name, Booking.id)
    stmt = _base(actor, filters, now)
    if limit is not None:
        # The page's bookings are chosen on narrow rows first and only those are loaded in full:
        # sorting every booking of a 300-person unit with all its joined columns cost most of the page.
        page = db.session.execute(
            stmt.with_only_columns(Booking.id).order_by(*order).limit(limit).offset(offset)
        ).scalars().all()
        stmt = _base(actor, TeamFilters(view="all"), now).where(Booking.id.in_(page or [0]))
    stmt = (
        stmt
        .join(Organisation, Organisation.id == Unit.organisation_id)
        .options(
            contains_eager(Booking.participant).contains_eager(Participant.unit).contains_eager(Unit.organisation),
            contains_eager(Booking.session).joinedload(Session.station).joinedload(Station.centre),
            contains_eager(Booking.session).selectinload(Session.skills),
            joinedload(Booking.cancelled_by),
        )
    )
    return db.session.execute(stmt.order_by(*order)).unique().scalars().all()


def may_cancel(actor, booking, now=None):
    """Whether the page offers to cancel this booking (the cancel operation checks again)."""
    now = now or utcnow()
    return (
        booking.status in ("confirmed", "waitlisted")
        and booking.session.status == "scheduled"
        and booking.session.start_at > now
        and (now < cutoff_at(booking.session) or policy.is_admin(actor))
    )


def filter_person(actor, person_id):
    """The person of the person filter, if this user may see their bookings (the picker searches the rest)."""
    if not person_id or not 0 < person_id < 2**31:
        return None
    stmt = select(Participant).where(Participant.id == person_id, policy.participants_visible_to(actor),
                                     Participant.anonymised_at.is_(None))
    return db.session.execute(stmt).scalar_one_or_none()


def filter_session(actor, session_id):
    """The session of the session filter, if it exists (sessions are visible to every manager)."""
    if not session_id:
        return None
    return db.session.execute(
        select(Session).where(Session.id == session_id)
        .options(joinedload(Session.station).joinedload(Station.centre))
    ).scalar_one_or_none()

