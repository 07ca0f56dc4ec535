"""Session planning: single sessions and weekly series, with every rule of the SPEC.

Rules: end after start; inside the centre's opening hours and not on a closed day; no overlap
with another session on the same station including the changeover buffer; an instructor is
never in two sessions at once.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ktc import audit
from ktc.accounts.models import User
from ktc.database import savepoint, utcnow
from ktc.errors import (
    ClosedDayError,
    Conflict,
    EndBeforeStart,
    InstructorOverlap,
    OutsideOpeningHours,
    StationOverlap,
    ValidationError,
)
from ktc.extensions import db
from ktc.i18n import fmt_date
from ktc.sessions.models import Series, Session, session_instructors
from ktc.stations.models import ClosedDay, Station

ACTIVE_SESSION = ("scheduled", "completed")


def local_to_utc(day, clock, tz):
    """A wall-clock time at the centre as UTC; the same wall clock on both sides of a DST change."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def centre_tz(station):
    return station.centre.timezone or "Europe/Stockholm"


def check_slot(station, start_at, end_at, instructors=(), ignore_ids=()):
    """Raise the first rule the slot breaks; return None when it is free."""
    if end_at <= start_at:
        raise EndBeforeStart(field="end")
    centre = station.centre
    tz = ZoneInfo(centre_tz(station))
    local_start, local_end = start_at.astimezone(tz), end_at.astimezone(tz)
    day = local_start.date()
    closed = db.session.execute(
        select(ClosedDay).where(ClosedDay.centre_id == centre.id, ClosedDay.day == day)
    ).scalar_one_or_none()
    if closed is not None:
        label = fmt_date(day, "long") + (f" ({closed.reason})" if closed.reason else "")
        raise ClosedDayError(field="start", day=label)
    hours = next((h for h in centre.opening_hours if h.weekday == day.weekday()), None)
    if (
        hours is None
        or local_end.date() != day
        or local_start.time() < hours.opens
        or local_end.time() > hours.closes
    ):
        raise OutsideOpeningHours(field="start")

    buffer = timedelta(minutes=station.changeover_minutes or 0)
    clash = db.session.execute(
        select(Session.id)
        .where(
            Session.station_id == station.id,
            Session.status.in_(ACTIVE_SESSION),
            Session.id.notin_(list(ignore_ids) or [0]),
            Session.start_at < end_at + buffer,
            Session.end_at > start_at - buffer,
        )
        .limit(1)
    ).first()
    if clash is not None:
        raise StationOverlap(field="start")

    for instructor in instructors:
        busy = db.session.execute(
            select(Session.id)
            .join(session_instructors, session_instructors.c.session_id == Session.id)
            .where(
                session_instructors.c.user_id == instructor.id,
                Session.status.in_(ACTIVE_SESSION),
                Session.id.notin_(list(ignore_ids) or [0]),
                Session.start_at < end_at,
                Session.end_at > start_at,
            )
            .limit(1)
        ).first()
        if busy is not None:
            raise InstructorOverlap(field="instructors", name=instructor.name)


def _check_fields(station, capacity, min_per_side, release_before_hours, instructors, skills):
    if capacity is None or capacity < 1:
        raise ValidationError(_l("The capacity must be at least 1."), field="capacity")
    if min_per_side < 0 or 2 * min_per_side > capacity:
        raise ValidationError(
            _l("Seats held per side can be at most half the capacity."), field="min_per_side"
        )
    if release_before_hours < 0:
        raise ValidationError(_l("The release time cannot be negative."), field="release_before_hours")
    station_skill_ids = {s.id for s in station.skills}
    if any(s.id not in station_skill_ids for s in skills):
        raise ValidationError(_l("A session can only cover skills that its station trains."), field="skills")
    if any(i.role not in ("instructor", "admin") or not i.active for i in instructors):
        raise ValidationError(_l("Only active instructors can lead a session."), field="instructors")


def _lock_station(station):
    # Serialises planning on one station so that two planners cannot create overlapping sessions.
    db.session.execute(select(Station.id).where(Station.id == station.id).with_for_update())


def create_session(
    actor,
    station,
    start_at,
    end_at,
    capacity=None,
    min_per_side=0,
    release_before_hours=72,
    instructors=(),
    skills=None,
    title="",
    notes="",
    series=None,
):
    """Plan one session after checking every rule."""
    capacity = station.default_capacity if capacity is None else capacity
    skills = list(station.skills) if skills is None else list(skills)
    instructors = list(instructors)
    _check_fields(station, capacity, min_per_side, release_before_hours, instructors, skills)
    _lock_station(station)
    check_slot(station, start_at, end_at, instructors)
    now = utcnow()
    session = Session(
        station=station,
        series=series,
        start_at=start_at,
        end_at=end_at,
        capacity=capacity,
        min_per_side=min_per_side,
        release_before_hours=release_before_hours,
        title=title or "",
        notes=notes or "",
        created_at=now,
        updated_at=now,
    )
    session.instructors = instructors
    session.skills = skills
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.created", session, start=start_at, station=station.id)
    return session


@dataclass
class SkippedDate:
    day: date
    reason: str


def series_dates(first_date, occurrences, interval_weeks=1):
    return [first_date + timedelta(weeks=i * interval_weeks) for i in range(occurrences)]


def create_series(
    actor,
    station,
    first_date,
    start_time,
    end_time,
    occurrences,
    interval_weeks=1,
    skip_conflicts=False,
    **session_fields,
):
    """Plan a weekly series. Every date must pass the rules; with skip_conflicts, dates that
    break one are left out and reported instead. Returns (series, sessions, skipped)."""
    if occurrences < 1 or occurrences > 104:
        raise ValidationError(_l("A series has between 1 and 104 sessions."), field="occurrences")
    if interval_weeks < 1 or interval_weeks > 8:
        raise ValidationError(_l("Repeat every 1 to 8 weeks."), field="interval_weeks")
    if end_time <= start_time:
        raise EndBeforeStart(field="end_time")
    series = Series(
        station=station,
        title=session_fields.get("title") or "",
        first_date=first_date,
        interval_weeks=interval_weeks,
        occurrences=occurrences,
        start_time=start_time,
        end_time=end_time,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(series)
    db.session.flush()
    tz = centre_tz(station)
    sessions, skipped = [], []
    for day in series_dates(first_date, occurrences, interval_weeks):
        start_at, end_at = local_to_utc(day, start_time, tz), local_to_utc(day, end_time, tz)
        try:
            with savepoint():
                sessions.append(
                    create_session(actor, station, start_at, end_at, series=series, **session_fields)
                )
        except ValidationError as exc:
            if not skip_conflicts:
                raise _dated(exc, day) from exc
            skipped.append(SkippedDate(day, str(exc)))
    if not sessions:
        raise ValidationError(_l("No date in the series could be planned."), field="first_date")
    audit.record(actor, "series.created", series, sessions=len(sessions), skipped=len(skipped))
    return series, sessions, skipped


def _dated(exc, day):
    """The same error, with the date that broke the rule in front of the message."""
    error = ValidationError(
        _l("%(day)s: %(reason)s"), field=exc.field, day=fmt_date(day, "long"), reason=str(exc)
    )
    error.code = exc.code
    error.status = exc.status
    return error


TIME_FIELDS = ("start_at", "end_at", "station")


def update_session(actor, session, **changes):
    """Edit or move a session. A change of time or station raises SEQUENCE and tells attendees."""
    from ktc.bookings.seats import promote_from_waitlist
    from ktc.mail import notify

    if session.status != "scheduled":
        raise Conflict(_l("Only scheduled sessions can be changed."))
    station = changes.get("station", session.station)
    start_at = changes.get("start_at", session.start_at)
    end_at = changes.get("end_at", session.end_at)
    capacity = changes.get("capacity", session.capacity)
    min_per_side = changes.get("min_per_side", session.min_per_side)
    release = changes.get("release_before_hours", session.release_before_hours)
    instructors = list(changes.get("instructors", session.instructors))
    skills = list(changes.get("skills", session.skills))
    _check_fields(station, capacity, min_per_side, release, instructors, skills)
    if capacity < session.seats_taken:
        raise Conflict(
            _l("%(taken)s seats are already booked; cancel bookings before lowering the capacity."),
            field="capacity",
            taken=session.seats_taken,
        )
    moved = start_at != session.start_at or end_at != session.end_at or station.id != session.station_id
    staffed = {i.id for i in instructors} != {i.id for i in session.instructors}
    if moved or staffed:
        _lock_station(station)
        check_slot(station, start_at, end_at, instructors, ignore_ids=[session.id])
    before = {"start": session.start_at, "end": session.end_at, "station": session.station_id}
    session.station = station
    session.start_at, session.end_at = start_at, end_at
    session.capacity, session.min_per_side, session.release_before_hours = capacity, min_per_side, release
    session.instructors = instructors
    session.skills = skills
    for key in ("title", "notes"):
        if key in changes:
            setattr(session, key, changes[key] or "")
    session.updated_at = utcnow()
    if moved:
        session.sequence += 1
        confirmed = [b for b in session.bookings if b.status in ("confirmed", "waitlisted")]
        notify.session_changed(session, confirmed)
    db.session.flush()
    promote_from_waitlist(session)
    audit.record(actor, "session.moved" if moved else "session.updated", session, before=before)
    return session


def move_session(actor, session, start_at, end_at, station=None):
    return update_session(actor, session, start_at=start_at, end_at=end_at, station=station or session.station)


def cancel_session(actor, session, reason=""):
    """Cancel a session: its bookings are cancelled and everyone affected is told."""
    from ktc.bookings.models import Booking
    from ktc.bookings.seats import hold_session
    from ktc.mail import notify

    hold_session(session)
    if session.status == "cancelled":
        return session
    if session.status == "completed":
        raise Conflict(_l("A completed session cannot be cancelled."))
    now = utcnow()
    affected = db.session.execute(
        select(Booking).where(Booking.session_id == session.id, Booking.status.in_(("confirmed", "waitlisted")))
        .order_by(Booking.id).execution_options(populate_existing=True)
    ).scalars().all()
    for booking in affected:
        booking.status = "cancelled"
        booking.cancelled_at = now
        booking.cancelled_by_id = getattr(actor, "id", None)
        booking.cancel_reason = reason or ""
        audit.record(actor, "booking.cancelled", booking, reason="session cancelled")
    session.seats_municipal = session.seats_regional = 0
    session.status = "cancelled"
    session.cancelled_at = now
    session.cancel_reason = reason or ""
    session.sequence += 1
    session.updated_at = now
    notify.session_cancelled(session, affected)
    db.session.flush()
    audit.record(actor, "session.cancelled", session, reason=reason, bookings=len(affected))
    return session


def reinstate_session(actor, session, now=None):
    """Undo a cancellation before the start: the slot is checked again, the session's event gets a
    higher SEQUENCE, and the bookings cancelled with it are given back (seats first, then the
    waiting list) with new invitations. Returns the bookings restored."""
    from ktc.bookings.models import Booking
    from ktc.bookings.operations import lock_participant_ids, restore_bookings
    from ktc.bookings.seats import hold_session

    now = now or utcnow()
    # The people first (the lock order book_team keeps), then the session: a booking made for one of
    # them at the same time waits, and whichever comes second sees the other's booking as an overlap.
    lock_participant_ids(db.session.execute(
        select(Booking.participant_id).where(Booking.session_id == session.id, Booking.status == "cancelled")
    ).scalars())
    hold_session(session)
    if session.status != "cancelled":
        raise Conflict(_l("Only a cancelled session can be reinstated."))
    if session.start_at <= now:
        raise Conflict(_l("A session that has started cannot be reinstated."))
    check_slot(session.station, session.start_at, session.end_at, session.instructors, ignore_ids=[session.id])
    cancelled_with_it = db.session.execute(
        select(Booking).where(Booking.session_id == session.id, Booking.status == "cancelled",
                              Booking.cancelled_at == session.cancelled_at)
        .execution_options(populate_existing=True)
    ).scalars().all()
    session.status = "scheduled"
    session.cancelled_at = None
    session.cancel_reason = ""
    session.sequence += 1
    session.updated_at = now
    db.session.flush()
    restored = restore_bookings(actor, session, cancelled_with_it, now)
    audit.record(actor, "session.reinstated", session, bookings=len(restored))
    return restored


def bookings_affected_by_cancel(session):
    """How many people a cancellation of this session tells (booked or waiting)."""
    from sqlalchemy import func

    from ktc.bookings.models import Booking

    return db.session.execute(
        select(func.count(Booking.id)).where(Booking.session_id == session.id,
                                             Booking.status.in_(("confirmed", "waitlisted")))
    ).scalar_one()


def series_sessions(series, from_date=None):
    """The series' scheduled sessions, from a local date on (all when from_date is None)."""
    tz = ZoneInfo(centre_tz(series.station))
    return [
        s
        for s in series.sessions
        if s.status == "scheduled" and (from_date is None or s.start_at.astimezone(tz).date() >= from_date)
    ]


def update_series(actor, series, from_date=None, start_time=None, end_time=None, **changes):
    """Edit every scheduled session of a series (from a date on): all of them or none."""
    tz = centre_tz(series.station)
    targets = series_sessions(series, from_date)
    if not targets:
        raise ValidationError(_l("No scheduled sessions in the series from that date."), field="from_date")
    new_start = start_time or series.start_time
    new_end = end_time or series.end_time
    if new_end <= new_start:
        raise EndBeforeStart(field="end_time")
    for session in targets:
        day = session.start_at.astimezone(ZoneInfo(tz)).date()
        try:
            update_session(
                actor,
                session,
                start_at=local_to_utc(day, new_start, tz),
                end_at=local_to_utc(day, new_end, tz),
                **changes,
            )
        except ValidationError as exc:
            raise _dated(exc, day) from exc
        except Conflict as exc:
            error = Conflict(_l("%(day)s: %(reason)s"), field=exc.field, day=fmt_date(day, "long"), reason=str(exc))
            error.code = exc.code
            raise error from exc
    if from_date is None or from_date <= series.first_date:
        series.start_time, series.end_time = new_start, new_end
    audit.record(actor, "series.updated", series, from_date=from_date, sessions=len(targets))
    return targets


def cancel_series(actor, series, from_date=None, reason=""):
    targets = series_sessions(series, from_date)
    for session in targets:
        cancel_session(actor, session, reason)
    audit.record(actor, "series.cancelled", series, from_date=from_date, sessions=len(targets))
    return targets


def side_balance(session):
    """'empty', 'single' (only one side has seats), 'risk' (a side below its held seats) or 'mixed'."""
    m, r = session.seats_municipal, session.seats_regional
    if m + r == 0:
        return "empty"
    if m == 0 or r == 0:
        return "single"
    if min(m, r) < max(session.min_per_side, 1):
        return "risk"
    return "mixed"


def instructors_available():
    return db.session.execute(
        select(User).where(User.role.in_(("instructor", "admin")), User.active.is_(True)).order_by(User.name)
    ).scalars().all()


def upcoming_sessions(start=None, end=None, centre_id=None, station_id=None, skill_id=None, include_cancelled=False):
    """Sessions in a window, ordered by start, with station and centre loaded."""
    from sqlalchemy.orm import selectinload

    from ktc.sessions.models import session_skills

    stmt = select(Session).join(Session.station).options(
        selectinload(Session.station).selectinload(Station.centre),
        selectinload(Session.instructors),
        selectinload(Session.skills),
    )
    if start is not None:
        stmt = stmt.where(Session.end_at > start)
    if end is not None:
        stmt = stmt.where(Session.start_at < end)
    if centre_id:
        stmt = stmt.where(Station.centre_id == centre_id)
    if station_id:
        stmt = stmt.where(Session.station_id == station_id)
    if skill_id:
        stmt = stmt.where(
            Session.id.in_(select(session_skills.c.session_id).where(session_skills.c.skill_id == skill_id))
        )
    if not include_cancelled:
        stmt = stmt.where(Session.status != "cancelled")
    return db.session.execute(stmt.order_by(Session.start_at, Session.id)).scalars().all()
