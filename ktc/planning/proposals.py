"""Propose a plan from the open needs (the solver's instance built from the database), accept it
(sessions created through `create_session`, so every rule of hand-made sessions applies; all or
nothing), and offer the seats to the units whose needs the sessions cover."""
import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ktc.accounts.models import User
from ktc.database import utcnow
from ktc.errors import InstructorOverlap, StationOverlap, ValidationError
from ktc.extensions import db
from ktc.i18n import fmt_date, known_locale, local_today, to_local
from ktc.mail.outbox import enqueue
from ktc.organisations.models import Unit
from ktc.planning import solver as sv
from ktc.planning.models import InstructorAbsence, InstructorAvailability, InstructorLimit, Need, instructor_skills
from ktc.planning.operations import cover_need, first_of_month, months_between
from ktc.sessions.models import Session, session_instructors
from ktc.sessions.operations import ACTIVE_SESSION, centre_tz, check_slot, create_session, local_to_utc
from ktc.skills.models import Skill
from ktc.stations.models import Centre, Station
from ktc.urls import external_url

MAX_WEEKS = 52
DEFAULT_MAX_PER_DAY = 2
DEFAULT_MIN_PEOPLE = 3
DEFAULT_OFFER_DAYS = 7


class HorizonTooLong(ValidationError):
    code = "horizon_too_long"
    message = _l("Plan at most %(weeks)s weeks (one year) ahead.")


class NothingToAccept(ValidationError):
    code = "nothing_to_accept"
    message = _l("Keep at least one proposed session to accept the plan.")


@dataclass
class Built:
    instance: sv.Instance
    stations: dict
    needs: dict
    start: object
    end: object


def _overlaps(start, end, other_start, other_end, buffer=timedelta(0)):
    return start < other_end + buffer and other_start < end + buffer


def _slots(stations, start_day, end_day, busy, first_month, skill_ids):
    """Possible sessions laid out one after the other (with the changeover) in the opening hours."""
    slots = []
    for station in stations:
        centre = station.centre
        tz = centre.timezone or "Europe/Stockholm"
        hours = {h.weekday: h for h in centre.opening_hours}
        closed = {c.day for c in centre.closed_days}
        skills = tuple(s.id for s in station.skills if s.active and s.id in skill_ids)
        if not skills:
            continue
        length = timedelta(minutes=station.default_duration_minutes)
        buffer = timedelta(minutes=station.changeover_minutes)
        min_per_side = station.default_min_per_side
        if min_per_side is None:
            min_per_side = centre.default_min_per_side
        day = start_day
        while day < end_day:
            opening = hours.get(day.weekday())
            if opening is not None and day not in closed:
                clock = datetime.combine(day, opening.opens)
                last = datetime.combine(day, opening.closes)
                while clock + length <= last:
                    start = local_to_utc(day, clock.time(), tz)
                    end = local_to_utc(day, (clock + length).time(), tz)
                    if not any(_overlaps(start, end, s, e, buffer) for s, e in busy.get(station.id, ())):
                        slots.append(sv.Slot(len(slots) + 1, station.id, start, end, day,
                                             months_between(first_month, day), station.default_capacity,
                                             min_per_side, skills))
                    clock += length + buffer
            day += timedelta(days=1)
    return slots


def build(centre_id=None, weeks=8, start_day=None, now=None):
    """The solver's instance for the open needs, at one centre (or all) for `weeks` from `start_day`."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise HorizonTooLong(field="weeks", weeks=MAX_WEEKS)
    now = now or utcnow()
    # Sessions start after the priority window: the units that need them get the whole window to
    # book, and the booking cut-off has not passed when the offer arrives.
    start_day = start_day or local_today() + timedelta(
        days=current_app.config.get("KTC_PLAN_OFFER_DAYS", DEFAULT_OFFER_DAYS) + 1)
    end_day = start_day + timedelta(weeks=weeks)
    first_month = first_of_month(start_day)
    months = months_between(first_month, end_day) + 1

    needs = db.session.execute(
        select(Need).join(Skill, Skill.id == Need.skill_id)
        .where(Need.status == "open", Skill.active.is_(True))
        .options(joinedload(Need.unit).joinedload(Unit.organisation))
        .order_by(Need.month, Need.created_at, Need.id)
    ).scalars().all()
    demands = [sv.Demand(n.id, n.skill_id, n.unit.organisation.side,
                         min(months - 1, max(0, months_between(first_month, n.month))), n.urgency or "missing",
                         n.people) for n in needs]
    skill_ids = {d.skill_id for d in demands}

    stmt = (select(Station).where(Station.active.is_(True))
            .options(joinedload(Station.centre).selectinload(Centre.opening_hours),
                     joinedload(Station.centre).selectinload(Centre.closed_days), selectinload(Station.skills))
            .order_by(Station.id))
    if centre_id is not None:
        stmt = stmt.where(Station.centre_id == centre_id)
    stations = db.session.execute(stmt).scalars().unique().all()

    horizon_start = local_to_utc(start_day, time(0), "Europe/Stockholm") - timedelta(days=1)
    horizon_end = local_to_utc(end_day, time(0), "Europe/Stockholm") + timedelta(days=1)
    existing = db.session.execute(
        select(Session).where(Session.status != "cancelled", Session.start_at < horizon_end,
                              Session.end_at > horizon_start).options(selectinload(Session.instructors))
    ).scalars().all()
    busy = {}
    for session in existing:
        busy.setdefault(session.station_id, []).append((session.start_at, session.end_at))
    slots = _slots(stations, start_day, end_day, busy, first_month, skill_ids)

    instructors = db.session.execute(
        select(User).where(User.role == "instructor", User.active.is_(True)).order_by(User.id)).scalars().all()
    qualified = {}
    for user_id, skill_id in db.session.execute(select(instructor_skills.c.user_id, instructor_skills.c.skill_id)):
        qualified.setdefault(user_id, set()).add(skill_id)
    weekly = {}
    for row in db.session.execute(select(InstructorAvailability)).scalars():
        weekly.setdefault(row.user_id, []).append(row)
    absent = {}
    for row in db.session.execute(select(InstructorAbsence).where(InstructorAbsence.last_day >= start_day,
                                                                  InstructorAbsence.first_day < end_day)).scalars():
        absent.setdefault(row.user_id, []).append(row)
    limits = {row.user_id: row.max_sessions_per_day for row in db.session.execute(select(InstructorLimit)).scalars()}
    leading = {}
    for session in existing:
        for instructor in session.instructors:
            leading.setdefault(instructor.id, []).append(session)

    station_by_id = {s.id: s for s in stations}
    free_slots, day_room = {}, {}
    default_limit = current_app.config.get("KTC_PLAN_MAX_SESSIONS_PER_DAY", DEFAULT_MAX_PER_DAY)
    for instructor in instructors:
        if not qualified.get(instructor.id):
            continue
        free = set()
        windows = weekly.get(instructor.id, [])
        for slot in slots:
            tz = station_by_id[slot.station_id].centre.timezone or "Europe/Stockholm"
            local_start, local_end = to_local(slot.start, tz), to_local(slot.end, tz)
            if windows and not any(w.weekday == slot.day.weekday() and w.start_time <= local_start.time()
                                   and local_end.time() <= w.end_time for w in windows):
                continue
            if any(a.first_day <= slot.day <= a.last_day for a in absent.get(instructor.id, ())):
                continue
            if any(_overlaps(slot.start, slot.end, s.start_at, s.end_at) for s in leading.get(instructor.id, ())):
                continue
            free.add(slot.id)
        free_slots[instructor.id] = free
        limit = limits.get(instructor.id, default_limit)
        taken = {}
        for session in leading.get(instructor.id, ()):
            day = to_local(session.start_at).date()
            taken[day] = taken.get(day, 0) + 1
        day_room[instructor.id] = {slot.day: max(0, limit - taken.get(slot.day, 0)) for slot in slots}
    instance = sv.Instance(slots, demands, {i: qualified[i] for i in free_slots}, free_slots, day_room,
                           min_fill=current_app.config.get("KTC_PLAN_MIN_PEOPLE", DEFAULT_MIN_PEOPLE),
                           months=months)
    return Built(instance, station_by_id, {n.id: n for n in needs}, start_day, end_day)


def propose(centre_id=None, weeks=8, start_day=None, time_limit=20.0, seed=0):
    """A proposal: the built instance and the solver's plan (nothing is written)."""
    built = build(centre_id, weeks, start_day)
    plan = sv.solve(built.instance, time_limit=time_limit, seed=seed, deterministic_time=time_limit * 2)
    return built, plan


@dataclass
class Proposed:
    """One proposed session as the coordinator keeps it (posted back from the proposal page)."""

    station: Station
    start: datetime
    end: datetime
    skill: Skill
    instructor: User
    min_per_side: int


class OutsideHorizon(ValidationError):
    code = "outside_horizon"
    message = _l("Move the session within the plan's period: %(start)s to %(end)s.")


class SkillNotTrained(ValidationError):
    code = "skill_not_trained"
    message = _l("%(station)s does not train %(skill)s.")


class NotQualified(ValidationError):
    code = "instructor_not_qualified"
    message = _l("%(name)s may not lead %(skill)s (see the instructor's planning inputs).")


class NotAvailable(ValidationError):
    code = "instructor_not_available"
    message = _l("%(name)s is not available then (weekly availability or an absence).")


class DayLimitReached(ValidationError):
    code = "instructor_day_limit"
    message = _l("%(name)s would lead more than %(limit)s sessions that day.")


def _instructor_inputs(instructor, known):
    """The planning inputs of one instructor (skills they may lead, weekly availability, absences,
    sessions per day), read once per instructor for all the rows checked with the same `known`."""
    if instructor.id not in known:
        skills = set(db.session.execute(select(instructor_skills.c.skill_id).where(
            instructor_skills.c.user_id == instructor.id)).scalars())
        windows = db.session.execute(select(InstructorAvailability).where(
            InstructorAvailability.user_id == instructor.id)).scalars().all()
        absences = db.session.execute(select(InstructorAbsence.first_day, InstructorAbsence.last_day).where(
            InstructorAbsence.user_id == instructor.id)).all()
        limit = db.session.get(InstructorLimit, instructor.id)
        limit = limit.max_sessions_per_day if limit else current_app.config.get(
            "KTC_PLAN_MAX_SESSIONS_PER_DAY", DEFAULT_MAX_PER_DAY)
        known[instructor.id] = (skills, windows, absences, limit)
    return known[instructor.id]


def check_proposed(item, others, first_day, end_day, known=None):
    """Refuse a proposed session (one the coordinator moved, or one posted back to be accepted) that
    breaks a rule: the rules of hand-made sessions (`check_slot`: opening hours, closed days, the
    station's changeover, nobody in two sessions at once), the planning inputs (the instructor may
    lead the skill, is available and not absent, within their sessions per day) and the rest of the
    proposal (`others`), whose sessions do not exist yet. Rows checked together pass one `known` dict,
    so each instructor's inputs are read once."""
    station, instructor, skill = item.station, item.instructor, item.skill
    tz = centre_tz(station)
    day = to_local(item.start, tz).date()
    if not first_day <= day < end_day:
        raise OutsideHorizon(field="start", start=fmt_date(first_day), end=fmt_date(end_day - timedelta(days=1)))
    if not station.active or skill.id not in {s.id for s in station.skills}:
        raise SkillNotTrained(field="station", station=station.name, skill=skill.name)
    check_slot(station, item.start, item.end, [instructor])
    buffer = timedelta(minutes=station.changeover_minutes or 0)
    for other in others:
        if other.station.id == station.id and _overlaps(item.start, item.end, other.start, other.end, buffer):
            raise StationOverlap(field="start")
        if other.instructor.id == instructor.id and _overlaps(item.start, item.end, other.start, other.end):
            raise InstructorOverlap(field="instructors", name=instructor.name)
    skills, windows, absences, limit = _instructor_inputs(instructor, {} if known is None else known)
    if skill.id not in skills:
        raise NotQualified(field="instructors", name=instructor.name, skill=skill.name)
    local_start, local_end = to_local(item.start, tz), to_local(item.end, tz)
    absent = any(first <= day <= last for first, last in absences)
    if absent or (windows and not any(
            w.weekday == day.weekday() and w.start_time <= local_start.time() and local_end.time() <= w.end_time
            and local_end.date() == day for w in windows)):
        raise NotAvailable(field="instructors", name=instructor.name)
    day_start = local_to_utc(day, time(0), tz)
    leading = db.session.execute(
        select(Session.id).join(session_instructors, session_instructors.c.session_id == Session.id)
        .where(session_instructors.c.user_id == instructor.id, Session.status.in_(ACTIVE_SESSION),
               Session.start_at >= day_start, Session.start_at < local_to_utc(day + timedelta(days=1), time(0), tz))
    ).all()
    same_day = [o for o in others if o.instructor.id == instructor.id and to_local(o.start, tz).date() == day]
    if len(leading) + len(same_day) + 1 > limit:
        raise DayLimitReached(field="instructors", name=instructor.name, limit=limit)


def allocate(sessions, needs):
    """Seats of the accepted sessions handed to the open needs they can cover: by urgency, then the
    earliest due month; a need whose people all have a seat is covered. Returns {need id: session}."""
    order = {"expired": 0, "expiring": 1, "missing": 2}
    left = {}
    for session in sessions:
        for skill in session.skills:
            left[session.id, skill.id] = session.capacity
    covered = {}
    for need in sorted(needs, key=lambda n: (order.get(n.urgency, 3), n.month, n.id)):
        due_end = first_of_month(need.month.replace(day=28) + timedelta(days=4))
        for session in sorted(sessions, key=lambda s: s.start_at):
            if to_local(session.start_at).date() >= due_end and need.month >= first_of_month(local_today()):
                continue
            if left.get((session.id, need.skill_id), 0) >= need.people:
                left[session.id, need.skill_id] -= need.people
                covered[need.id] = session
                break
    return covered


def accept(actor, proposed, offer_days=None, now=None):
    """Create the kept sessions (all or nothing, every rule checked), mark the needs they cover as
    covered, and e-mail each manager of those units once with the sessions offered to them."""
    if not proposed:
        raise NothingToAccept()
    sessions = []
    for item in proposed:
        sessions.append(create_session(
            actor, item.station, item.start, item.end, capacity=item.station.default_capacity,
            min_per_side=item.min_per_side, instructors=[item.instructor], skills=[item.skill],
            notes=str(_l("Planned from the stated training needs.")),
        ))
    needs = db.session.execute(
        select(Need).where(Need.status == "open", Need.skill_id.in_({p.skill.id for p in proposed}))
        .options(joinedload(Need.unit).selectinload(Unit.managers), selectinload(Need.named))
    ).scalars().all()
    covered = allocate(sessions, needs)
    for need in needs:
        if need.id in covered:
            cover_need(need, covered[need.id])
    offer_days = offer_days or current_app.config.get("KTC_PLAN_OFFER_DAYS", DEFAULT_OFFER_DAYS)
    # The priority window the offer announces, enforced at booking (ktc.bookings.seats.reservations).
    # A session that covers no need is open to everyone at once.
    until = (now or utcnow()) + timedelta(days=offer_days)
    for session in {s.id: s for s in covered.values()}.values():
        session.priority_until = until
    db.session.flush()
    offer_seats([n for n in needs if n.id in covered], covered, offer_days, until)
    return sessions, covered


def offer_seats(needs, covered, offer_days, until=None):
    """One e-mail per manager listing the sessions that cover their units' needs, each with a link to
    the team booking with the need's people ticked (those named, or those who lack the skill)."""
    per_manager = {}
    for need in needs:
        for manager in need.unit.managers:
            if manager.active and manager.email:
                per_manager.setdefault(manager, []).append((need, covered[need.id]))
    messages = []
    for manager, items in per_manager.items():
        ids = ",".join(str(n.id) for n, _ in sorted(items, key=lambda i: i[0].id))
        key = "needs:" + hashlib.sha256(ids.encode()).hexdigest()[:32]
        with force_locale(known_locale(manager.locale)):
            # The link opens the team booking with the need's people ticked (ktc.planning.operations.people_for_need).
            lines = [(need, session, external_url("bookings.team", session=session.id, need=need.id))
                     for need, session in items]
            subject = str(_l("Seats for your staff's training needs"))
            context = dict(manager=manager, lines=lines, offer_days=offer_days, until=until, subject=subject,
                           current_locale=known_locale(manager.locale))
            text = render_template("planning/emails/offer.txt", **context)
            html = render_template("planning/emails/offer.html", **context)
        message = enqueue("planning_offer", key, manager.email, subject, text, html)
        if message is not None:
            messages.append(message)
    return messages



# --- planning inputs: what each instructor may lead and when -------------------------------

class BadAvailability(ValidationError):
    code = "bad_availability"
    message = _l("Line %(line)s: write a weekday (1 = Monday … 7 = Sunday) and a time span, for example "
                 "\"2 08:00-16:00\".")


class BadAbsence(ValidationError):
    code = "bad_absence"
    message = _l("Line %(line)s: write the first and last day, for example \"2027-07-01 2027-07-31 Semester\".")


def _clock(text):
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def parse_availability(text):
    """Lines "weekday HH:MM-HH:MM" (1 = Monday) into (weekday 0-6, start, end); 25:00 is refused."""
    windows = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        try:
            day, span = line.split()
            first, last = span.split("-")
            weekday, start, end = int(day) - 1, _clock(first), _clock(last)
        except ValueError:
            raise BadAvailability(field="availability", line=number) from None
        if not 0 <= weekday <= 6 or end <= start:
            raise BadAvailability(field="availability", line=number)
        windows.append((weekday, start, end))
    return windows


def parse_absences(text):
    from datetime import date

    absences = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=2)
        try:
            first, last = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
        except (ValueError, IndexError):
            raise BadAbsence(field="absences", line=number) from None
        if last < first:
            raise BadAbsence(field="absences", line=number)
        absences.append((first, last, parts[2][:200] if len(parts) > 2 else ""))
    return absences


def instructor_inputs(user):
    """(skill ids, max per day, availability text, absences text) for the form."""
    skills = [row[0] for row in db.session.execute(
        select(instructor_skills.c.skill_id).where(instructor_skills.c.user_id == user.id))]
    limit = db.session.get(InstructorLimit, user.id)
    weekly = db.session.execute(select(InstructorAvailability).where(InstructorAvailability.user_id == user.id)
                                .order_by(InstructorAvailability.weekday, InstructorAvailability.start_time)).scalars()
    absences = db.session.execute(select(InstructorAbsence).where(InstructorAbsence.user_id == user.id)
                                  .order_by(InstructorAbsence.first_day)).scalars()
    availability = "\n".join(f"{w.weekday + 1} {w.start_time:%H:%M}-{w.end_time:%H:%M}" for w in weekly)
    away = "\n".join(f"{a.first_day.isoformat()} {a.last_day.isoformat()} {a.reason}".strip() for a in absences)
    return skills, (limit.max_sessions_per_day if limit else None), availability, away


def set_instructor_inputs(user, skills, max_per_day, availability_text, absences_text):
    """Replace what an instructor may lead, when they are available and their limit per day."""
    windows = parse_availability(availability_text)
    absences = parse_absences(absences_text)
    db.session.execute(instructor_skills.delete().where(instructor_skills.c.user_id == user.id))
    if skills:
        db.session.execute(instructor_skills.insert(), [{"user_id": user.id, "skill_id": s.id} for s in skills])
    db.session.execute(InstructorAvailability.__table__.delete().where(InstructorAvailability.user_id == user.id))
    db.session.execute(InstructorAbsence.__table__.delete().where(InstructorAbsence.user_id == user.id))
    db.session.add_all([InstructorAvailability(user_id=user.id, weekday=w, start_time=a, end_time=b)
                        for w, a, b in windows])
    db.session.add_all([InstructorAbsence(user_id=user.id, first_day=f, last_day=t, reason=r) for f, t, r in absences])
    limit = db.session.get(InstructorLimit, user.id)
    if max_per_day is None:
        if limit is not None:
            db.session.delete(limit)
    elif limit is None:
        db.session.add(InstructorLimit(user_id=user.id, max_sessions_per_day=max_per_day))
    else:
        limit.max_sessions_per_day = max_per_day
    db.session.flush()
    return user
