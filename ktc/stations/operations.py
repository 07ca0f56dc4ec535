"""Centres (opening hours, closed days) and stations: create and edit. Operations flush, never commit."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ktc.errors import Conflict, NotFound, ValidationError
from ktc.extensions import db
from ktc.organisations.operations import clean, flush_unique
from ktc.skills.operations import skills_by_id
from ktc.stations.models import Centre, ClosedDay, OpeningHours, Station

DEFAULT_TIMEZONE = "Europe/Stockholm"


def valid_timezone(name):
    """The IANA zone name if zoneinfo knows it; raises ValidationError otherwise."""
    name = clean(name)
    try:
        if not name or "/" not in name and name != "UTC":
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _l("Unknown time zone “%(name)s”. Use a name such as Europe/Stockholm.", name=name), field="timezone"
        ) from exc
    return name


def _check_hours(hours):
    """hours: {weekday 0–6: (opens, closes) or None for closed}."""
    for weekday, span in hours.items():
        if weekday not in range(7):
            raise ValidationError(_l("Unknown weekday."), field="hours")
        if span is not None and span[1] <= span[0]:
            raise ValidationError(_l("The closing time must be after the opening time."), field=f"day{weekday}_closes")


def _set_hours(centre, hours):
    current = {h.weekday: h for h in centre.opening_hours}
    for weekday in range(7):
        span = hours.get(weekday)
        row = current.get(weekday)
        if span is None:
            if row is not None:
                centre.opening_hours.remove(row)
        elif row is None:
            centre.opening_hours.append(OpeningHours(weekday=weekday, opens=span[0], closes=span[1]))
        else:
            row.opens, row.closes = span


def _check_centre(name, exclude_id=None):
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    stmt = select(Centre.id).where(func.lower(Centre.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Centre.id != exclude_id)
    if db.session.execute(stmt).first() is not None:
        raise Conflict(_l("A centre with that name already exists."), field="name")


def _check_held(value, field):
    if value is not None and not 0 <= value <= 100:
        raise ValidationError(_l("Seats held per side must be between 0 and 100."), field=field)
    return value


def create_centre(name, address="", timezone=DEFAULT_TIMEZONE, hours=None, closed_days=(), default_min_per_side=0):
    """Add a centre with its weekly opening hours (local time in its zone) and any closed days (day, reason)."""
    name = clean(name)
    _check_centre(name)
    timezone = valid_timezone(timezone or DEFAULT_TIMEZONE)
    hours = hours or {}
    _check_hours(hours)
    centre = Centre(name=name, address=clean(address), timezone=timezone,
                    default_min_per_side=_check_held(default_min_per_side or 0, "default_min_per_side"))
    _set_hours(centre, hours)
    db.session.add(centre)
    flush_unique(_l("A centre with that name already exists."), "name")
    for day, reason in closed_days:
        add_closed_day(centre, day, reason)
    return centre


def update_centre(centre, name, address, timezone, hours, default_min_per_side=None):
    name = clean(name)
    _check_centre(name, exclude_id=centre.id)
    timezone = valid_timezone(timezone or DEFAULT_TIMEZONE)
    _check_hours(hours)
    centre.name, centre.address, centre.timezone = name, clean(address), timezone
    if default_min_per_side is not None:
        centre.default_min_per_side = _check_held(default_min_per_side, "default_min_per_side")
    _set_hours(centre, hours)
    flush_unique(_l("A centre with that name already exists."), "name")
    return centre


def list_centres():
    return db.session.execute(
        select(Centre)
        .options(selectinload(Centre.opening_hours), selectinload(Centre.closed_days), selectinload(Centre.stations))
        .order_by(Centre.name)
    ).scalars().all()


def add_closed_day(centre, day, reason=""):
    """Mark a date as closed (a holiday, a staff day); one entry per date."""
    if day is None:
        raise ValidationError(_l("Enter a date."), field="day")
    taken = db.session.execute(
        select(ClosedDay.id).where(ClosedDay.centre_id == centre.id, ClosedDay.day == day)
    ).first()
    if taken is not None:
        raise Conflict(_l("That date is already marked as closed."), field="day")
    closed = ClosedDay(centre=centre, day=day, reason=clean(reason)[:200])
    db.session.add(closed)
    flush_unique(_l("That date is already marked as closed."), "day")
    return closed


def remove_closed_day(centre, closed_day_id):
    closed = db.session.get(ClosedDay, closed_day_id)
    if closed is None or closed.centre_id != centre.id:
        raise NotFound()
    db.session.delete(closed)
    db.session.flush()
    return closed


# --- stations ---------------------------------------------------------------------------------

STATION_LIMITS = {
    "default_capacity": (1, 200, _l("The capacity must be between 1 and 200.")),
    "default_duration_minutes": (5, 24 * 60, _l("The duration must be between 5 and 1440 minutes.")),
    "changeover_minutes": (0, 240, _l("The changeover buffer must be between 0 and 240 minutes.")),
}


def _check_station(centre, name, numbers, exclude_id=None):
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    for key, (low, high, message) in STATION_LIMITS.items():
        value = numbers[key]
        if value is None or not low <= value <= high:
            raise ValidationError(message, field=key)
    stmt = select(Station.id).where(Station.centre_id == centre.id, func.lower(Station.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Station.id != exclude_id)
    if db.session.execute(stmt).first() is not None:
        raise Conflict(_l("The centre already has a station with that name."), field="name")


def _set_station(station, centre, name, skill_ids, description, default_capacity, default_duration_minutes,
                 changeover_minutes, equipment_notes, active, default_min_per_side=None, exclude_id=None):
    """Check and set a station's fields (the skills are loaded before anything changes: no half-set autoflush)."""
    name = clean(name)
    numbers = dict(default_capacity=default_capacity, default_duration_minutes=default_duration_minutes,
                   changeover_minutes=changeover_minutes)
    _check_station(centre, name, numbers, exclude_id=exclude_id)
    station.default_min_per_side = _check_held(default_min_per_side, "default_min_per_side")
    if default_min_per_side is not None and 2 * default_min_per_side > default_capacity:
        raise ValidationError(_l("Seats held per side can be at most half the capacity."), field="default_min_per_side")
    skills = skills_by_id(skill_ids)
    station.name, station.description = name, (description or "").strip()
    station.equipment_notes, station.active = (equipment_notes or "").strip(), bool(active)
    station.centre, station.skills = centre, skills
    for key, value in numbers.items():
        setattr(station, key, value)


def create_station(centre, name, skill_ids=(), description="", default_capacity=8, default_duration_minutes=120,
                   changeover_minutes=15, equipment_notes="", active=True, default_min_per_side=None):
    """Add a station to a centre, with the skills it trains and its defaults for new sessions."""
    station = Station()
    _set_station(station, centre, name, skill_ids, description, default_capacity, default_duration_minutes,
                 changeover_minutes, equipment_notes, active, default_min_per_side)
    db.session.add(station)
    flush_unique(_l("The centre already has a station with that name."), "name")
    return station


def update_station(station, name, skill_ids=(), description="", default_capacity=8, default_duration_minutes=120,
                   changeover_minutes=15, equipment_notes="", active=True, default_min_per_side=None):
    _set_station(station, station.centre, name, skill_ids, description, default_capacity, default_duration_minutes,
                 changeover_minutes, equipment_notes, active, default_min_per_side, exclude_id=station.id)
    flush_unique(_l("The centre already has a station with that name."), "name")
    return station


def list_stations():
    return db.session.execute(
        select(Station)
        .join(Station.centre)
        .options(selectinload(Station.skills), selectinload(Station.centre))
        .order_by(Centre.name, Station.name)
    ).scalars().all()
