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


def team(size, side="municipal"):
    """A unit of `side`, its manager and `size` people in it: (unit, manager, people)."""
    unit_ = unit(side=side)
    return unit_, manager(unit_), [participant(unit_) for _ in range(size)]


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


# --- feedback and the learning network ---------------------------------------------------
def completed_session(station_=None, start=None, **kw):
    """A session that took place and was marked completed."""
    start = start or local(2024, 3, 5, 9)
    # station() with its default skill trips SQLAlchemy 2's backref cascade; pass skills explicitly.
    station_ = station_ or station(skills=[skill()])
    obj = session(station_, start=start, status="completed", completed_at=start + timedelta(hours=2), **kw)
    return obj


def feedback(session_, booking_=None, side="municipal", responded_at=None, token="", **answers):
    """A feedback row; with answers (overall=…) it counts as answered at `responded_at`."""
    import hashlib

    from ktc.feedback.models import Feedback

    if booking_ is not None:
        side = booking_.side
    answered = bool(answers) or responded_at is not None
    values = {"overall": 4, "relevance": 4, "confidence_before": 2, "confidence_after": 4, "learned_other_side": 3}
    values.update(answers)
    obj = Feedback(
        booking=booking_,
        session=session_,
        side=side,
        token_hash=hashlib.sha256((token or f"token-{n()}").encode()).hexdigest(),
        requested_at=session_.end_at,
        responded_at=(responded_at or session_.end_at + timedelta(hours=1)) if answered else None,
        **(values if answered else {}),
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def plain_station(centre_=None, **kw):
    """A station with one skill of its own (see the note in completed_session)."""
    return station(centre_, skills=kw.pop("skills", None) or [skill()], **kw)

# --- records (skills) ---------------------------------------------------------------------------

def skill_record(participant_, skill_, outcome="demonstrated", valid_until=None, session_=None, start=None,
                 signed_by=None, comment=""):
    """A skill record written directly, in a (past) session covering the skill; use operations to test rules."""
    from ktc.records.models import SkillRecord

    s = session_ or session(station(skills=[skill_]), start=start or local(2025, 1, 15), skills=[skill_])
    obj = SkillRecord(participant=participant_, skill=skill_, session=s, outcome=outcome, valid_until=valid_until,
                      signed_by=signed_by, comment=comment)
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


def commit_keeping_loaded():
    """Commit the test's work without expiring what it loaded: the stale read a race test stages."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
