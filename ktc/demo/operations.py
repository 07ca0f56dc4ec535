"""Load the demo data through the real operations; running it again changes nothing.

Every row is looked up by its natural key first (organisation and skill names and codes, user
and participant e-mails, a session's station and start …) and only added when missing. Dates
are counted in working days from an anchor day: today on the first load, and afterwards the day
the demo centre was created, so that a later run finds the same sessions instead of planning
new ones next to them. Past sessions cannot be booked through `book_team` (it refuses the past),
so their bookings, records and feedback are written with the models, seat counters in step.
"""
import hashlib
import hmac
import secrets
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ktc.accounts.models import User
from ktc.accounts.operations import create_user, hash_password
from ktc.bookings.models import Booking
from ktc.bookings.operations import book_team, cutoff_at
from ktc.database import utcnow
from ktc.demo import data
from ktc.errors import Conflict, ValidationError
from ktc.extensions import db
from ktc.feedback.models import Feedback, SessionReport
from ktc.network.stats import refresh_session_stats
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.paths.demo import load_paths_demo
from ktc.records.models import SkillRecord
from ktc.sessions.models import Series, Session
from ktc.sessions.operations import cancel_session, check_slot, create_series, create_session, local_to_utc
from ktc.skills.models import Profession, Skill
from ktc.stations.models import Centre, ClosedDay, OpeningHours, Station

TZ = "Europe/Stockholm"
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read aloud
CLOSED_DAYS_AHEAD = 183


def demo_password(secret_key):
    """12 readable characters derived from the installation's SECRET_KEY (HMAC-SHA256)."""
    digest = hmac.new(str(secret_key).encode(), b"ktc-demo", hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(12):
        number, index = divmod(number, len(PASSWORD_ALPHABET))
        chars.append(PASSWORD_ALPHABET[index])
    return "".join(chars)


# Calendar ---------------------------------------------------------------------------------------


def easter_sunday(year):
    """Western Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l_) // 433
    month, day = divmod(h + l_ - 7 * m + 90, 25)
    return date(year, month, (h + l_ - 7 * m + 33 * month + 19) % 32)


def _first_weekday_on_or_after(day, weekday):
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def swedish_holidays(year):
    """Public holidays, plus the eves on which workplaces are closed in practice (date: name)."""
    easter = easter_sunday(year)
    midsummer_eve = _first_weekday_on_or_after(date(year, 6, 19), 4)
    return {
        date(year, 1, 1): "Nyårsdagen",
        date(year, 1, 6): "Trettondedag jul",
        easter - timedelta(days=2): "Långfredagen",
        easter: "Påskdagen",
        easter + timedelta(days=1): "Annandag påsk",
        date(year, 5, 1): "Första maj",
        easter + timedelta(days=39): "Kristi himmelsfärdsdag",
        easter + timedelta(days=49): "Pingstdagen",
        date(year, 6, 6): "Sveriges nationaldag",
        midsummer_eve: "Midsommarafton",
        midsummer_eve + timedelta(days=1): "Midsommardagen",
        _first_weekday_on_or_after(date(year, 10, 31), 5): "Alla helgons dag",
        date(year, 12, 24): "Julafton",
        date(year, 12, 25): "Juldagen",
        date(year, 12, 26): "Annandag jul",
        date(year, 12, 31): "Nyårsafton",
    }


def holidays_between(first, last):
    found = {}
    for year in range(first.year, last.year + 1):
        found.update({d: name for d, name in swedish_holidays(year).items() if first <= d <= last})
    return dict(sorted(found.items()))


def is_workday(day):
    return day.weekday() < 5 and day not in swedish_holidays(day.year)


def workday(anchor, offset):
    """The `offset`-th working day after (or, negative, before) anchor; 0 is anchor or the next one."""
    day, step = anchor, 1 if offset >= 0 else -1
    remaining = abs(offset)
    while remaining or not is_workday(day):
        if remaining and is_workday(day + timedelta(days=step)):
            remaining -= 1
        day += timedelta(days=step)
    return day


def previous_workday(day):
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def add_months(day, months):
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def local_today():
    return datetime.now(ZoneInfo(TZ)).date()


# Lookups ----------------------------------------------------------------------------------------


def _one(model, **keys):
    return db.session.execute(select(model).filter_by(**keys)).scalar_one_or_none()


def email_local_part(name):
    """'Åsa Håkansson' -> 'asa.hakansson' (ASCII, for made-up demo addresses)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ".".join(ascii_name.lower().split())


@dataclass
class Demo:
    """What the loader has found or added so far, by natural key."""

    password: str
    anchor: date
    now: datetime
    organisations: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    skills: dict = field(default_factory=dict)
    professions: dict = field(default_factory=dict)
    centres: dict = field(default_factory=dict)
    stations: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    staff: dict = field(default_factory=dict)  # unit name -> participants in data order
    managers: dict = field(default_factory=dict)  # unit name -> managing user
    logins: list = field(default_factory=list)
    _password_hash: str | None = None

    @property
    def admin(self):
        return self.users[data.ADMIN[0]]

    def password_hash(self):
        # One hash for every demo user: they share the printed password, and argon2 is slow on purpose.
        if self._password_hash is None:
            self._password_hash = hash_password(self.password)
        return self._password_hash


@dataclass
class DemoResult:
    logins: list  # (role, e-mail, name)
    password: str
    existing_password_matches: bool
    created: bool  # False when the demo was already loaded


def load_demo(password, now=None):
    """Load (or complete) the demo data; flushes, never commits. Returns the logins to print."""
    now = now or utcnow()
    existing_centre = _one(Centre, name=data.CENTRES[0]["name"])
    anchor = existing_centre.created_at.astimezone(ZoneInfo(TZ)).date() if existing_centre else local_today()
    demo = Demo(password=password, anchor=anchor, now=now)
    _load_catalogue(demo)
    _load_organisations(demo)
    _load_centres(demo)
    _load_users(demo)
    _load_staff(demo)
    db.session.flush()
    _load_series(demo)
    for spec in data.UPCOMING:
        _load_upcoming(demo, spec)
    _load_cancelled(demo, data.CANCELLED)
    for spec in data.PAST:
        _load_past(demo, spec)
    load_paths_demo(demo)
    db.session.flush()
    from ktc.meetings.demo import load_meetings

    load_meetings(demo, lambda email, name: _user(demo, email, "network", name), demo.users[data.NETWORK_USER[0]])
    return DemoResult(
        logins=demo.logins,
        password=password,
        existing_password_matches=_password_matches(demo.admin, password),
        created=existing_centre is None,
    )


def _password_matches(user, password):
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error

    try:
        return PasswordHasher().verify(user.password_hash or "", password)
    except Argon2Error:
        return False


# Catalogue, organisations, centres --------------------------------------------------------------


def _load_catalogue(demo):
    for code, name, category, description, months in data.SKILLS:
        skill = _one(Skill, code=code)
        if skill is None:
            skill = Skill(code=code, name=name, category=category, description=description, refresh_months=months)
            db.session.add(skill)
        demo.skills[code] = skill
    for name, codes in data.PROFESSIONS.items():
        profession = _one(Profession, name=name)
        if profession is None:
            profession = Profession(name=name, required_skills=[demo.skills[c] for c in codes])
            db.session.add(profession)
        demo.professions[name] = profession


def _load_organisations(demo):
    for spec in data.ORGANISATIONS:
        org = _one(Organisation, name=spec["name"])
        if org is None:
            org = Organisation(name=spec["name"], side=spec["side"], org_number=spec["org_number"])
            db.session.add(org)
            db.session.flush()
        demo.organisations[spec["name"]] = org
        for unit_name in spec["units"]:
            unit = _one(Unit, organisation_id=org.id, name=unit_name)
            if unit is None:
                unit = Unit(organisation=org, name=unit_name)
                db.session.add(unit)
            demo.units[unit_name] = unit
    db.session.flush()


def _load_centres(demo):
    opens, closes = data.WEEKDAY_HOURS
    last = demo.anchor + timedelta(days=CLOSED_DAYS_AHEAD)
    holidays = holidays_between(demo.anchor, last)
    for spec in data.CENTRES:
        centre = _one(Centre, name=spec["name"])
        if centre is None:
            centre = Centre(name=spec["name"], address=spec["address"], timezone=TZ, created_at=demo.now)
            db.session.add(centre)
            db.session.flush()
        demo.centres[spec["name"]] = centre
        for weekday in range(5):
            if _one(OpeningHours, centre_id=centre.id, weekday=weekday) is None:
                db.session.add(OpeningHours(centre=centre, weekday=weekday, opens=opens, closes=closes))
        closed = dict(holidays)
        for offset, reason in spec["extra_closed"]:
            closed[workday(demo.anchor, offset)] = reason
        for day, reason in closed.items():
            if _one(ClosedDay, centre_id=centre.id, day=day) is None:
                db.session.add(ClosedDay(centre=centre, day=day, reason=reason))
    for centre_name, name, codes, capacity, minutes, changeover, description, equipment in data.STATIONS:
        centre = demo.centres[centre_name]
        station = _one(Station, centre_id=centre.id, name=name)
        if station is None:
            station = Station(
                centre=centre,
                name=name,
                description=description,
                default_capacity=capacity,
                default_duration_minutes=minutes,
                changeover_minutes=changeover,
                equipment_notes=equipment,
            )
            station.skills = [demo.skills[c] for c in codes]
            db.session.add(station)
        demo.stations[name] = station
    db.session.flush()


# People -----------------------------------------------------------------------------------------


def _user(demo, email, role, name, unit_names=(), participant=None):
    user = _one(User, email=email)
    if user is None:
        user = create_user(
            email, role, name=name, unit_ids=[demo.units[u].id for u in unit_names], participant=participant
        )
        user.password_hash = demo.password_hash()
    demo.users[name] = user
    demo.logins.append((user.role, user.email, user.name))
    return user


def _load_users(demo):
    name, local = data.ADMIN
    _user(demo, f"{local}@{data.STAFF_DOMAIN}", "admin", name)
    for name, local in data.INSTRUCTORS:
        _user(demo, f"{local}@{data.STAFF_DOMAIN}", "instructor", name)
    domains = {o["name"]: o["domain"] for o in data.ORGANISATIONS}
    for name, org_name, unit_names in data.MANAGERS:
        user = _user(demo, f"{email_local_part(name)}@{domains[org_name]}", "manager", name, unit_names)
        for unit_name in unit_names:
            demo.managers[unit_name] = user
    name, email = data.NETWORK_USER
    _user(demo, email, "network", name)


def _load_staff(demo):
    domains = {u: o["domain"] for o in data.ORGANISATIONS for u in o["units"]}
    wanted = {
        f"{email_local_part(name)}@{domains[unit_name]}": (unit_name, name, profession)
        for unit_name, people in data.STAFF.items()
        for name, profession in people
    }
    # One query for everyone already there, one flush for the newcomers.
    found = {
        p.email: p
        for p in db.session.execute(select(Participant).where(Participant.email.in_(list(wanted)))).scalars()
    }
    for email, (unit_name, name, profession) in wanted.items():
        participant = found.get(email)
        if participant is None:
            participant = Participant(
                name=name, email=email, unit=demo.units[unit_name], profession=demo.professions[profession]
            )
            db.session.add(participant)
        demo.staff.setdefault(unit_name, []).append(participant)
    db.session.flush()
    for unit_name, people in data.STAFF.items():
        for participant, (name, _profession) in zip(demo.staff[unit_name], people):
            if name in data.PARTICIPANT_LOGINS:
                _user(demo, participant.email, "participant", name, participant=participant)


def _people(demo, picks):
    """(unit, how many, from index) -> [(participant, manager), ...] in data order."""
    chosen = []
    for unit_name, count, start in picks:
        for participant in demo.staff[unit_name][start:start + count]:
            chosen.append((participant, demo.managers[unit_name]))
    return chosen


# Sessions ---------------------------------------------------------------------------------------


def _instructor_choices(demo, preferred):
    wanted = [demo.users[n] for n in preferred]
    others = [demo.users[n] for n, _ in data.INSTRUCTORS if n not in preferred]
    return [wanted] + [[other] for other in others]


def _place(demo, spec, day, step):
    """Find this spec's session, or plan it on `day` or the next free working day in `step`'s direction.

    A slot already taken (station, instructor, closed day) moves the session by a working day;
    the lookup by (station, start) comes first on each day, so a rerun finds the same session.
    """
    station = demo.stations[spec["station"]]
    for _ in range(10):
        start_at = local_to_utc(day, spec["start"], TZ)
        end_local = datetime.combine(day, spec["start"]) + timedelta(minutes=spec["minutes"])
        end_at = local_to_utc(day, end_local.time(), TZ)
        found = _one(Session, station_id=station.id, start_at=start_at)
        if found is not None:
            return found, False
        for instructors in _instructor_choices(demo, spec["instructors"]):
            try:
                check_slot(station, start_at, end_at, instructors)
            except (ValidationError, Conflict):
                continue
            session = create_session(
                demo.admin,
                station,
                start_at,
                end_at,
                capacity=spec["capacity"],
                instructors=instructors,
                title=spec.get("title", ""),
                **data.MIXED,
            )
            return session, True
        day = workday(day, step)
    raise RuntimeError(f"No free slot for the demo session {spec['key']} near {day}")


def _book(demo, session, picks):
    """Book people through book_team, one call per manager, skipping anyone already booked."""
    if session.status != "scheduled" or demo.now >= cutoff_at(session):
        return
    booked = set(
        db.session.execute(select(Booking.participant_id).where(Booking.session_id == session.id)).scalars()
    )
    by_manager = {}
    for participant, manager in _people(demo, picks):
        if participant.id not in booked:
            by_manager.setdefault(manager.id, (manager, []))[1].append(participant)
    for manager, participants in by_manager.values():
        book_team(manager, session, participants, now=demo.now)


def _load_series(demo):
    for spec in data.SERIES:
        station = demo.stations[spec["station"]]
        first = workday(demo.anchor, spec["after"])
        first = _first_weekday_on_or_after(first, spec["weekday"])
        series = _one(Series, station_id=station.id, first_date=first, start_time=spec["start"])
        if series is None:
            series, _sessions, _skipped = create_series(
                demo.admin,
                station,
                first,
                spec["start"],
                spec["end"],
                spec["occurrences"],
                skip_conflicts=True,
                capacity=spec["capacity"],
                instructors=[demo.users[n] for n in spec["instructors"]],
                title=spec["title"],
                **data.MIXED,
            )
        sessions = [s for s in series.sessions if s.status == "scheduled"]
        for index, picks in spec["bookings"]:
            if index < len(sessions):
                _book(demo, sessions[index], picks)


def _load_upcoming(demo, spec):
    session, _created = _place(demo, spec, workday(demo.anchor, spec["day"]), 1)
    _book(demo, session, spec["bookings"])
    return session


def _load_cancelled(demo, spec):
    session = _load_upcoming(demo, spec)
    if session.status == "scheduled":
        cancel_session(demo.admin, session, spec["reason"])


def _load_past(demo, spec):
    if "days_ago" in spec:
        day = previous_workday(demo.anchor - timedelta(days=spec["days_ago"]))
    else:
        day = workday(demo.anchor, spec["day"])
    session, created = _place(demo, spec, day, -1)
    if not created:
        return session
    instructor = session.instructors[0]
    local_day = session.start_at.astimezone(ZoneInfo(TZ)).date()
    people = _people(demo, spec["attendees"])
    no_show = {p.id for p, _ in people[len(people) - spec["no_show"]:]} if spec["no_show"] else set()
    attended = []
    for participant, manager in people:
        status = "no_show" if participant.id in no_show else "attended"
        booked_at = session.start_at - timedelta(days=14)
        booking = Booking(
            session=session,
            participant=participant,
            side=participant.side,
            status=status,
            booked_by_id=manager.id,
            booked_at=booked_at,
            queued_at=booked_at,
            confirmed_at=booked_at,
            attendance_at=session.end_at,
            attendance_by_id=instructor.id,
        )
        db.session.add(booking)
        # Seat counters count attended and no-show bookings too (they held a seat).
        if participant.side == "municipal":
            session.seats_municipal += 1
        else:
            session.seats_regional += 1
        if status == "attended":
            attended.append(booking)
    db.session.flush()
    for i, booking in enumerate(attended):
        for j, skill in enumerate(session.skills):
            _record(session, booking.participant, skill, instructor, local_day, _outcome(i, j))
    if spec.get("feedback", True):
        answered = len(attended) - spec.get("unanswered", 0)
        for i, booking in enumerate(attended):
            _feedback(session, booking, answers=data.FEEDBACK_ANSWERS[(session.id + i) % len(data.FEEDBACK_ANSWERS)]
                      if i < answered else None, now=demo.now)
        db.session.add(SessionReport(session=session, author_id=instructor.id, created_at=session.end_at,
                                     updated_at=session.end_at, **data.SESSION_REPORT))
    session.status = "completed"
    session.completed_at = session.end_at
    db.session.flush()
    # The rows above are written directly, not through the roster and feedback operations.
    refresh_session_stats([session.id])
    return session


def _outcome(person_index, skill_index):
    # Most people demonstrate; every fifth only practised a skill and one needs more practice.
    if person_index == 2 and skill_index == 0:
        return "needs_practice"
    if (person_index + skill_index) % 5 == 4:
        return "practised"
    return "demonstrated"


def _record(session, participant, skill, instructor, local_day, outcome):
    valid_until = None
    if outcome == "demonstrated" and skill.refresh_months:
        valid_until = add_months(local_day, skill.refresh_months)
    db.session.add(
        SkillRecord(
            participant=participant,
            skill=skill,
            session=session,
            outcome=outcome,
            signed_by_id=instructor.id,
            signed_at=session.end_at,
            comment="Behöver öva mer på momentet innan nästa tillfälle." if outcome == "needs_practice" else "",
            valid_until=valid_until,
        )
    )


def _feedback(session, booking, answers, now):
    # The one-use link token itself was never sent; only a hash of a random value is stored.
    row = Feedback(
        booking=booking,
        session=session,
        side=booking.side,
        token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        requested_at=session.end_at + timedelta(minutes=30),
    )
    if answers is not None:
        overall, relevance, before, after, other_side, take_back, improve = answers
        row.responded_at = min(session.end_at + timedelta(days=1), now)
        row.overall, row.relevance = overall, relevance
        row.confidence_before, row.confidence_after = before, after
        row.learned_other_side = other_side
        row.take_back, row.improve = take_back, improve
    db.session.add(row)
