"""Factories that fill sensible defaults; every argument can be overridden.

They add and flush but do not commit; call `db.session.commit()` when a test needs the rows
visible to another connection (HTTP requests through the test client share the session's engine).
"""
import itertools
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ktc.accounts.models import User
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.sessions.models import Session
from ktc.skills.models import Profession, Skill
from ktc.stations.models import Centre, OpeningHours, Station

_seq = itertools.count(1)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def n():
    return next(_seq)


def organisation(side="municipal", **kw):
    i = n()
    obj = Organisation(name=kw.pop("name", f"{'Kommun' if side == 'municipal' else 'Region'} {i}"), side=side, **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def unit(organisation_=None, side="municipal", **kw):
    org = organisation_ or organisation(side=side)
    obj = Unit(name=kw.pop("name", f"Enhet {n()}"), organisation=org, **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def profession(name=None, skills=()):
    obj = Profession(name=name or f"Yrke {n()}", required_skills=list(skills))
    db.session.add(obj)
    db.session.flush()
    return obj


def participant(unit_=None, side="municipal", **kw):
    i = n()
    u = unit_ or unit(side=side)
    obj = Participant(
        name=kw.pop("name", f"Person {i}"),
        email=kw.pop("email", f"person{i}@example.org"),
        unit=u,
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def user(role="admin", **kw):
    from ktc.accounts.operations import hash_password

    i = n()
    password = kw.pop("password", None)
    units = kw.pop("units", [])
    obj = User(email=kw.pop("email", f"{role}{i}@example.org"), name=kw.pop("name", f"{role.title()} {i}"), role=role, **kw)
    if password:
        obj.password_hash = hash_password(password)
    obj.units = list(units)
    db.session.add(obj)
    db.session.flush()
    return obj


def manager(*units_, **kw):
    return user("manager", units=list(units_), **kw)


def participant_user(participant_=None, **kw):
    p = participant_ or participant()
    return user("participant", participant=p, email=kw.pop("email", p.email), name=p.name, **kw)


def skill(**kw):
    i = n()
    obj = Skill(
        code=kw.pop("code", f"SK{i:03d}"),
        name=kw.pop("name", f"Färdighet {i}"),
        category=kw.pop("category", "Omvårdnad"),
        refresh_months=kw.pop("refresh_months", 24),
        **kw,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def centre(opens=time(7, 0), closes=time(20, 0), weekdays=range(7), **kw):
    obj = Centre(name=kw.pop("name", f"KTC {n()}"), timezone=kw.pop("timezone", "Europe/Stockholm"), **kw)
    for wd in weekdays:
        obj.opening_hours.append(OpeningHours(weekday=wd, opens=opens, closes=closes))
    db.session.add(obj)
    db.session.flush()
    return obj


def station(centre_=None, skills=None, **kw):
    c = centre_ or centre()
    skills = list(skills) if skills is not None else [skill()]
    obj = Station(
        name=kw.pop("name", f"Station {n()}"),
        centre=c,
        default_capacity=kw.pop("default_capacity", 8),
        default_duration_minutes=kw.pop("default_duration_minutes", 120),
        changeover_minutes=kw.pop("changeover_minutes", 15),
        **kw,
    )
    obj.skills = skills
    db.session.add(obj)
    db.session.flush()
    return obj


def local(y, m, d, hh=9, mm=0, tz=STOCKHOLM):
    """An aware UTC datetime from a wall-clock time in Stockholm."""
    return datetime(y, m, d, hh, mm, tzinfo=tz).astimezone(timezone.utc)


def future(days=10, hour=9):
    """A Stockholm wall-clock time `days` from now, on the hour."""
    day = (datetime.now(STOCKHOLM) + timedelta(days=days)).date()
    return local(day.year, day.month, day.day, hour)


def session(station_=None, start=None, hours=2, instructors=(), skills=None, **kw):
    st = station_ or station()
    start = start or future()
    skills = list(skills) if skills is not None else list(st.skills)
    obj = Session(
        station=st,
        start_at=start,
        end_at=kw.pop("end", start + timedelta(hours=hours)),
        capacity=kw.pop("capacity", 8),
        min_per_side=kw.pop("min_per_side", 0),
        release_before_hours=kw.pop("release_before_hours", 72),
        **kw,
    )
    obj.instructors = list(instructors)
    obj.skills = skills
    db.session.add(obj)
    db.session.flush()
    return obj


def booking(session_, participant_, status="confirmed", **kw):
    """A booking row written directly (seat counters kept in step); use operations to test rules."""
    obj = Booking(session=session_, participant=participant_, side=participant_.side, status=status, **kw)
    if status in ("confirmed", "attended", "no_show"):
        if obj.side == "municipal":
            session_.seats_municipal += 1
        else:
            session_.seats_regional += 1
    db.session.add(obj)
    db.session.flush()
    return obj


# --- admin screens (organisations, skills, stations, users) ---

def cast(unit_a=None, unit_b=None):
    """One user per role for permission walks: a manager of unit A and one of unit B.

    Returns (users, unit_a, unit_b); users maps admin, manager_a, manager_b, instructor,
    participant (a person in unit A with a login) and network to User rows.
    """
    a = unit_a or unit(name=f"Enhet A{n()}")
    b = unit_b or unit(name=f"Enhet B{n()}")
    users = {
        "admin": user("admin"),
        "manager_a": manager(a),
        "manager_b": manager(b),
        "instructor": user("instructor"),
        "participant": participant_user(participant(a)),
        "network": user("network"),
    }
    return users, a, b


def set_login(client, cookie_id):
    """Log the test client in with a user's cookie id (read it with user.get_id() before committing).

    Reading ORM attributes after a commit opens a transaction in the test's own session, which on
    SQLite would hold the write lock that the next POST request needs.
    """
    with client.session_transaction() as sess:
        sess.clear()
        if cookie_id is not None:
            sess["_user_id"] = cookie_id
            sess["_fresh"] = True
