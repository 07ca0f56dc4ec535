"""A large, realistic, deterministic KTC dataset for benchmarks (and, scaled down, for tests).

Everything is written with bulk inserts (`db.session.execute(insert(table), [dicts])` in chunks)
and explicit primary keys, so that children can point at their parents without a round trip per
row. The two-year window straddles today: past sessions are completed with attendance, skill
records and feedback; future ones are scheduled with bookings and waiting lists. The per-side
seat counters of every session equal its seat-holding bookings.
"""
import hashlib
import random
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, func, insert, select, text

from ktc.accounts.models import User, unit_managers
from ktc.bookings.models import Booking
from ktc.calendar import stamps
from ktc.demo.data import PROFESSIONS, SKILLS
from ktc.extensions import db
from ktc.feedback.models import Feedback, SessionReport
from ktc.network.stats import rebuild_session_stats
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session, session_instructors, session_skills
from ktc.skills.models import Profession, Skill, profession_skills
from ktc.stations.models import Centre, OpeningHours, Station, station_skills

TZ = "Europe/Stockholm"
ZONE = ZoneInfo(TZ)
CHUNK = 5000
# Local start and end of the two daily slots; they never overlap, so a person's bookings never do.
SLOTS = ((time(9, 0), time(11, 0)), (time(13, 0), time(15, 30)))
BIG_UNIT_NAME = "Hemtjänst Centrum"


@dataclass(frozen=True)
class Plan:
    """How much to generate. `full` is the county-scale dataset of issue #7."""

    municipalities: int = 10
    units: int = 300
    participants: int = 20_000
    big_unit_staff: int = 300
    skills: int = 80
    centres: int = 3
    stations: int = 30
    sessions: int = 15_000
    bookings_per_session: float = 10.2
    # Share of sessions in the past (completed); the rest are planned ahead.
    past_share: float = 0.6
    # Share of sessions that include someone from the big unit (its feed then has ~2,000 events).
    big_unit_share: float = 0.18
    feedback_response_rate: float = 0.8
    instructors: int = 40
    days: int = 730

    @classmethod
    def full(cls):
        return cls()

    @classmethod
    def scaled(cls, factor):
        """The full plan with every volume multiplied by `factor` (structure kept, minimums applied)."""
        base = cls()
        return replace(
            base,
            municipalities=max(2, round(base.municipalities * min(1, factor * 20))),
            units=max(3, round(base.units * factor)),
            participants=max(10, round(base.participants * factor)),
            big_unit_staff=max(3, round(base.big_unit_staff * factor)),
            skills=max(8, round(base.skills * factor)),
            centres=max(1, min(base.centres, round(base.centres * factor * 10))),
            stations=max(2, round(base.stations * factor)),
            sessions=max(6, round(base.sessions * factor)),
            instructors=max(2, round(base.instructors * factor)),
        )

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


FIRST_NAMES = (
    "Anna", "Eva", "Maria", "Karin", "Sara", "Christina", "Lena", "Emma", "Kerstin", "Marie", "Malin", "Ingrid",
    "Hanna", "Linnéa", "Sofia", "Elin", "Ida", "Johanna", "Jenny", "Birgitta", "Fatima", "Amina", "Leyla", "Aida",
    "Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Mikael", "Peter", "Jonas", "Oskar", "Ahmed", "Mohammed",
    "Ali", "Daniel", "Fredrik", "Magnus", "Nils", "Gustav", "Emil", "Viktor", "Mats", "Sven", "Björn", "Stefan",
)
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
    "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Jönsson", "Lindberg", "Jakobsson",
    "Magnusson", "Lindström", "Olofsson", "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg",
    "Lind", "Lundgren", "Lundqvist", "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Ali",
    "Mohammed", "Hussein", "Ahmadi", "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund", "Danielsson", "Håkansson",
)
MUNICIPALITIES = (
    "Jönköping", "Värnamo", "Nässjö", "Vetlanda", "Gislaved", "Tranås", "Eksjö", "Sävsjö", "Gnosjö", "Vaggeryd",
    "Habo", "Mullsjö", "Aneby",
)
MUNICIPAL_UNITS = (
    "Hemtjänst {0}", "Särskilt boende {0}", "Korttidsboende {0}", "LSS-boende {0}", "Hemsjukvård {0}",
    "Dagverksamhet {0}", "Boendestöd {0}", "Rehab {0}",
)
AREAS = (
    "Norra", "Södra", "Östra", "Västra", "Centrum", "Ängen", "Björkhagen", "Solgläntan", "Lövet", "Ekbacken",
    "Tallen", "Sjöstugan", "Furulund", "Rosengården", "Lärkan", "Vallen", "Hagen", "Torpet", "Åsen", "Bäcken",
)
REGIONAL_UNITS = (
    "Medicinavdelning {0}", "Kirurgavdelning {0}", "Vårdcentralen {0}", "Geriatriken {0}", "Ortopedavdelning {0}",
    "Akutmottagningen {0}", "Infektionsavdelning {0}", "Palliativa enheten {0}", "Rehabmottagningen {0}",
)
LEVELS = ("grund", "fördjupning", "repetition", "simulering", "handledare")
CENTRES = ("KTC Ryhov, Jönköping", "KTC Värnamo", "KTC Höglandet, Eksjö", "KTC Tranås", "KTC Gislaved")
STATION_KINDS = (
    "Kateterrummet", "Sårvårdsstationen", "HLR-salen", "Läkemedelsrummet", "Förflyttningsrummet",
    "Simuleringssalen", "Hygienstationen", "Nutritionsstationen", "Mätstationen", "Palliativa rummet",
)
TAKE_BACK = (
    "Rutinen för kateterskötsel och att fråga regionen direkt.", "Hur vi rapporterar med SBAR.",
    "Förflyttning med glidlakan utan att lyfta.", "Tryggare med insulinpennan.",
    "Att vi gör likadant som vårdcentralen.", "Handhygienen i varje moment.",
)
IMPROVE = ("Mer tid vid stationen.", "Fler övningsdockor.", "Kortare genomgång i början.", "", "", "")


def _chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _insert(table, rows):
    for chunk in _chunks(rows):
        db.session.execute(insert(table), chunk)


def _local(day, clock):
    return datetime.combine(day, clock, tzinfo=ZONE).astimezone(timezone.utc)


def _name(rng):
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _skill_catalogue(count):
    """`count` skills: the demo catalogue's skills, each also at several levels."""
    skills = []
    for level in (None,) + LEVELS:
        for code, name, category, description, months in SKILLS:
            if len(skills) == count:
                return skills
            if level is None:
                skills.append((code, name, category, description, months))
            else:
                skills.append((f"{code}-{level[:3].upper()}", f"{name}, {level}", category, description, months))
    return skills


@dataclass
class Generated:
    """The ids the benchmark needs: who to log in as and what to open."""

    admin_id: int
    network_id: int
    big_unit_id: int
    big_manager_id: int
    busiest_participant_id: int
    participant_user_id: int
    centre_ids: list
    counts: dict


def generate(plan=None, seed=7, today=None):
    """Fill an empty database with the plan's data; returns the ids the benchmark needs."""
    plan = plan or Plan.full()
    rng = random.Random(seed)
    today = today or datetime.now(ZONE).date()
    now = datetime.now(timezone.utc)
    first_day = today - timedelta(days=round(plan.days * plan.past_share))
    created = _local(first_day - timedelta(days=30), time(8))

    # --- organisations, units, professions, skills -------------------------------------------
    orgs = [{"id": 1, "name": "Region Jönköpings län", "side": "regional", "org_number": "232100-0057",
             "created_at": created}]
    for i in range(plan.municipalities):
        base = MUNICIPALITIES[i % len(MUNICIPALITIES)]
        name = f"{base}s kommun" if not base.endswith("s") else f"{base} kommun"
        if i >= len(MUNICIPALITIES):
            name = f"{name} {i // len(MUNICIPALITIES) + 1}"
        orgs.append({"id": i + 2, "name": name, "side": "municipal", "org_number": None, "created_at": created})
    _insert(Organisation, orgs)

    units, seen = [], set()
    regional_units = max(1, round(plan.units * 0.4))
    for uid in range(1, plan.units + 1):
        if uid == 1:
            org, name = 2, BIG_UNIT_NAME
        elif uid <= regional_units + 1:
            org, pattern = 1, REGIONAL_UNITS[uid % len(REGIONAL_UNITS)]
            name = pattern.format(AREAS[(uid // len(REGIONAL_UNITS)) % len(AREAS)])
        else:
            org = 2 + (uid % plan.municipalities)
            pattern = MUNICIPAL_UNITS[uid % len(MUNICIPAL_UNITS)]
            name = pattern.format(AREAS[(uid // len(MUNICIPAL_UNITS)) % len(AREAS)])
        while (org, name) in seen:
            name = f"{name} {len(seen) % 9 + 2}"
        seen.add((org, name))
        units.append({"id": uid, "organisation_id": org, "name": name, "created_at": created})
    _insert(Unit, units)
    side_of_unit = {u["id"]: ("regional" if u["organisation_id"] == 1 else "municipal") for u in units}

    catalogue = _skill_catalogue(plan.skills)
    _insert(Skill, [
        {"id": i, "code": code, "name": name, "category": category, "description": description,
         "refresh_months": months, "active": True, "created_at": created}
        for i, (code, name, category, description, months) in enumerate(catalogue, start=1)
    ])
    refresh = {i: months for i, (*_rest, months) in enumerate(catalogue, start=1)}
    skill_ids = list(refresh)
    code_to_id = {code: i for i, (code, *_rest) in enumerate(catalogue, start=1)}

    professions = list(PROFESSIONS)
    _insert(Profession, [{"id": i, "name": name} for i, name in enumerate(professions, start=1)])
    _insert(profession_skills, [
        {"profession_id": i, "skill_id": code_to_id[code]}
        for i, name in enumerate(professions, start=1) for code in PROFESSIONS[name] if code in code_to_id
    ])

    # --- participants ------------------------------------------------------------------------
    people, by_unit = [], {}
    for pid in range(1, plan.participants + 1):
        unit_id = 1 if pid <= plan.big_unit_staff else rng.randint(2, plan.units)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        people.append({
            "id": pid, "name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}.{pid}@example.org",
            "profession_id": 1 + (pid * 7 + rng.randint(0, 3)) % len(professions), "unit_id": unit_id,
            "active": rng.random() > 0.02 or pid <= plan.big_unit_staff, "created_at": created, "updated_at": created,
        })
        by_unit.setdefault(unit_id, []).append(pid)
    _insert(Participant, people)
    side_of = {p["id"]: side_of_unit[p["unit_id"]] for p in people}
    active = [p["id"] for p in people if p["active"]]
    big_unit = by_unit[1]

    # --- users: admin, network, instructors, one manager per unit, a participant login --------
    users = [
        {"id": 1, "email": "admin@bench.example", "name": "Bench Admin", "role": "admin"},
        {"id": 2, "email": "network@bench.example", "name": "Nätverket Bench", "role": "network"},
        {"id": 3, "email": "deltagare@bench.example", "name": people[0]["name"], "role": "participant",
         "participant_id": 1},
    ]
    instructor_ids = list(range(4, 4 + plan.instructors))
    users += [{"id": i, "email": f"instruktor{i}@bench.example", "name": _name(rng), "role": "instructor"}
              for i in instructor_ids]
    manager_of = {}
    next_id = 4 + plan.instructors
    for unit in units:
        manager_of[unit["id"]] = next_id
        users.append({"id": next_id, "email": f"chef{unit['id']}@bench.example", "name": _name(rng),
                      "role": "manager"})
        next_id += 1
    for row in users:
        row.setdefault("participant_id", None)
        row.update(active=True, created_at=created, login_nonce=f"bench-{row['id']}")
    _insert(User, users)
    _insert(unit_managers, [{"user_id": uid, "unit_id": unit_id} for unit_id, uid in manager_of.items()])

    # --- centres and stations ----------------------------------------------------------------
    _insert(Centre, [
        {"id": i, "name": CENTRES[(i - 1) % len(CENTRES)] + ("" if i <= len(CENTRES) else f" {i}"),
         "address": "", "timezone": TZ, "created_at": created}
        for i in range(1, plan.centres + 1)
    ])
    _insert(OpeningHours, [
        {"centre_id": c, "weekday": wd, "opens": time(7, 30), "closes": time(17, 0)}
        for c in range(1, plan.centres + 1) for wd in range(5)
    ])
    stations, trains = [], {}
    for sid in range(1, plan.stations + 1):
        centre_id = 1 + (sid - 1) % plan.centres
        name = STATION_KINDS[(sid - 1) // plan.centres % len(STATION_KINDS)]
        if sid > plan.centres * len(STATION_KINDS):
            name = f"{name} {sid}"
        stations.append({"id": sid, "centre_id": centre_id, "name": name, "description": "",
                         "default_capacity": 12, "default_duration_minutes": 120, "changeover_minutes": 15,
                         "equipment_notes": "", "active": True, "created_at": created})
        trains[sid] = sorted(rng.sample(skill_ids, min(len(skill_ids), rng.randint(5, 8))))
    _insert(Station, stations)
    _insert(station_skills, [{"station_id": s, "skill_id": k} for s, ks in trains.items() for k in ks])

    # --- sessions: a random choice of (station, weekday, slot) over the two years -------------
    days = [first_day + timedelta(days=d) for d in range(plan.days)]
    weekdays = [d for d in days if d.weekday() < 5]
    candidates = [(d, slot, s) for d in weekdays for slot in range(len(SLOTS)) for s in range(1, plan.stations + 1)]
    chosen = sorted(rng.sample(candidates, min(plan.sessions, len(candidates))))
    sessions, covered, instructors_rows = [], {}, []
    for sid, (day, slot, station_id) in enumerate(chosen, start=1):
        start, end = _local(day, SLOTS[slot][0]), _local(day, SLOTS[slot][1])
        past = end < now
        cancelled = rng.random() < 0.02
        status = "cancelled" if cancelled else ("completed" if past else "scheduled")
        capacity = rng.choice((10, 12, 12, 14))
        sessions.append({
            "id": sid, "uid": hashlib.sha1(f"bench-session-{seed}-{sid}".encode()).hexdigest(),
            "station_id": station_id, "title": "", "notes": "", "start_at": start, "end_at": end,
            "capacity": capacity, "min_per_side": rng.choice((0, 2, 3)), "release_before_hours": 72,
            "status": status, "sequence": 0, "seats_municipal": 0, "seats_regional": 0,
            "created_at": start - timedelta(days=60), "updated_at": start - timedelta(days=rng.randint(5, 60)),
            "cancelled_at": start - timedelta(days=3) if cancelled else None,
            "cancel_reason": "Instruktören sjuk" if cancelled else None,
            "completed_at": end + timedelta(hours=1) if status == "completed" else None,
        })
        station_skill_ids = trains[station_id]
        covered[sid] = sorted(rng.sample(station_skill_ids, min(len(station_skill_ids), rng.randint(3, 5))))
        # Each station has its own instructor (plus a second now and then): nobody is in two places.
        lead = instructor_ids[(station_id - 1) % len(instructor_ids)]
        instructors_rows.append({"session_id": sid, "user_id": lead})
    _insert(Session, sessions)
    _insert(session_skills, [{"session_id": s, "skill_id": k} for s, ks in covered.items() for k in ks])
    _insert(session_instructors, instructors_rows)

    # --- bookings, attendance, records, feedback ---------------------------------------------
    busy = set()  # (participant, day, slot): one place at a time
    bookings, records, feedback, reports = [], [], [], []
    seats = {}
    booking_id = 0
    for session, (day, slot, _station) in zip(sessions, chosen):
        sid = session["id"]
        wanted = max(1, round(rng.gauss(plan.bookings_per_session, 2)))
        team = []
        if rng.random() < plan.big_unit_share:
            team.append(rng.choice(big_unit))
        while len(team) < wanted:
            team.append(rng.choice(active))
        confirmed = {"municipal": 0, "regional": 0}
        for pid in team:
            if (pid, day, slot) in busy:
                continue
            busy.add((pid, day, slot))
            booking_id += 1
            side = side_of[pid]
            booked_at = session["start_at"] - timedelta(days=rng.randint(3, 50), hours=rng.randint(0, 9))
            seat_free = confirmed["municipal"] + confirmed["regional"] < session["capacity"]
            row = {
                "id": booking_id, "session_id": sid, "participant_id": pid, "side": side,
                "booked_by_id": manager_of[people[pid - 1]["unit_id"]], "booked_at": booked_at,
                "queued_at": booked_at, "confirmed_at": None, "cancelled_at": None, "cancelled_by_id": None,
                "cancel_reason": None, "attendance_at": None, "attendance_by_id": None, "ical_sequence": 0,
            }
            if session["status"] == "cancelled":
                row.update(status="cancelled", cancelled_at=session["cancelled_at"], cancel_reason="Tillfället ställdes in")
            elif not seat_free:
                row["status"] = "waitlisted" if session["status"] == "scheduled" else "cancelled"
                if row["status"] == "cancelled":
                    row.update(cancelled_at=session["start_at"] - timedelta(days=1), cancel_reason="Fick ingen plats")
            elif rng.random() < 0.06:
                row.update(status="cancelled", cancelled_at=booked_at + timedelta(days=2),
                           cancelled_by_id=row["booked_by_id"], cancel_reason="Personalbrist på enheten")
            else:
                row["confirmed_at"] = booked_at
                confirmed[side] += 1
                if session["status"] == "completed":
                    row["status"] = "no_show" if rng.random() < 0.07 else "attended"
                    row["attendance_at"] = session["end_at"]
                    row["attendance_by_id"] = instructors_rows[sid - 1]["user_id"]
                else:
                    row["status"] = "confirmed"
            bookings.append(row)
            if row["status"] == "attended":
                signer = row["attendance_by_id"]
                for skill_id in covered[sid]:
                    roll = rng.random()
                    outcome = "demonstrated" if roll < 0.8 else ("practised" if roll < 0.93 else "needs_practice")
                    months = refresh[skill_id]
                    valid = None
                    if outcome == "demonstrated" and months:
                        valid = _add_months(day, months)
                    records.append({"participant_id": pid, "skill_id": skill_id, "session_id": sid, "outcome": outcome,
                                    "signed_by_id": signer, "signed_at": session["end_at"], "comment": "",
                                    "valid_until": valid})
                answered = rng.random() < plan.feedback_response_rate
                before = rng.randint(1, 4)
                feedback.append({
                    "booking_id": booking_id, "session_id": sid, "side": side,
                    "token_hash": hashlib.sha256(f"bench-feedback-{seed}-{booking_id}".encode()).hexdigest(),
                    "requested_at": session["end_at"] + timedelta(hours=2),
                    "responded_at": session["end_at"] + timedelta(days=rng.randint(0, 6), hours=3) if answered else None,
                    "overall": rng.randint(3, 5) if answered else None,
                    "relevance": rng.randint(2, 5) if answered else None,
                    "confidence_before": before if answered else None,
                    "confidence_after": min(5, before + rng.randint(0, 2)) if answered else None,
                    "learned_other_side": rng.randint(1, 5) if answered else None,
                    "take_back": rng.choice(TAKE_BACK) if answered else "",
                    "improve": rng.choice(IMPROVE) if answered else "",
                })
        seats[sid] = confirmed
        if session["status"] == "completed" and rng.random() < 0.3:
            reports.append({"session_id": sid, "author_id": instructors_rows[sid - 1]["user_id"],
                            "what_worked": "Blandade grupper kom igång snabbt.", "what_to_change": "Mer tid i slutet.",
                            "equipment_problems": "", "created_at": session["end_at"], "updated_at": session["end_at"]})
    _insert(Booking, bookings)
    _insert(SkillRecord, records)
    _insert(Feedback, feedback)
    _insert(SessionReport, reports)
    # Seat counters in one statement per side: they count exactly the seat-holding bookings.
    for side, column in (("municipal", "seats_municipal"), ("regional", "seats_regional")):
        db.session.execute(text(
            f"UPDATE sessions SET {column} = (SELECT COUNT(*) FROM bookings b WHERE b.session_id = sessions.id "
            f"AND b.side = :side AND b.status IN ('confirmed', 'attended', 'no_show'))"
        ), {"side": side})
    _reset_sequences()
    # Rows went in with bulk statements, which the feeds' change tracking does not see.
    stamps.everything_changed()
    # The network's per-session figures, from the rows just inserted (no operation wrote them).
    rebuild_session_stats()
    db.session.commit()
    # Planner statistics now, as a database that grew over years would have them: right after a
    # bulk load PostgreSQL has none until autovacuum gets round to it, and plans accordingly.
    db.session.execute(text("ANALYZE"))
    db.session.commit()

    busiest = db.session.execute(
        select(Booking.participant_id).join(Participant).where(Participant.unit_id == 1)
        .group_by(Booking.participant_id).order_by(func.count().desc(), Booking.participant_id).limit(1)
    ).scalar_one()
    return Generated(
        admin_id=1, network_id=2, big_unit_id=1, big_manager_id=manager_of[1], busiest_participant_id=busiest,
        participant_user_id=3, centre_ids=list(range(1, plan.centres + 1)), counts=table_counts(),
    )


def _add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue


def _reset_sequences():
    """After explicit ids, PostgreSQL's sequences must continue after the highest id."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and isinstance(table.c.id.type, Integer):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"
            ))


COUNTED = (Organisation, Unit, Participant, Skill, Centre, Station, Session, Booking, SkillRecord, Feedback, User)


def table_counts():
    counts = {model.__tablename__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
              for model in COUNTED}
    counts["feedback responses"] = db.session.execute(
        select(func.count()).select_from(Feedback).where(Feedback.responded_at.is_not(None))
    ).scalar_one()
    return counts
