"""Attendance, sign-off, skill records and the manager's skill matrix."""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ktc import audit, policy
from ktc.bookings.models import SEAT_STATUSES, Booking
from ktc.bookings.seats import has_free_seat_clause, has_seat_for_side, hold_session, within_quota_clause
from ktc.calendar import stamps
from ktc.database import utcnow
from ktc.errors import Conflict, DomainError, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.i18n import local_today, to_local
from ktc.mail.notify import booking_no_show
from ktc.network.stats import refresh_session_stats
from ktc.organisations.models import Participant, Unit
from ktc.records.models import OUTCOMES, SkillRecord
from ktc.records.status import GAP_STATUSES, cell_status, valid_until_for
from ktc.sessions.models import Session, session_skills
from ktc.sessions.operations import centre_tz
from ktc.skills.models import Skill, profession_skills
from ktc.stations.models import Station
from ktc.urls import external_url

# How many upcoming sessions are offered for each gap (per skill and side).
UPCOMING_PER_SKILL = 3


class SessionCancelled(Conflict):
    code = "session_cancelled"
    message = _l("The session is cancelled.")


class SessionNotStarted(Conflict):
    code = "session_not_started"
    message = _l("Attendance can be recorded once the session has started.")


class SessionNotEnded(Conflict):
    code = "session_not_ended"
    message = _l("A session can be marked completed from its end on.")


class NotBooked(ValidationError):
    code = "not_booked"
    message = _l("Participant %(id)s has no seat in this session.")


class SkillNotCovered(ValidationError):
    code = "skill_not_covered"
    message = _l("The session does not cover that skill.")


class InvalidOutcome(ValidationError):
    code = "invalid_outcome"
    message = _l("Unknown outcome: %(outcome)s.")


class OutcomeWithoutAttendance(ValidationError):
    code = "outcome_without_attendance"
    message = _l("Only someone who attended can have a skill signed off.")


# --- time ------------------------------------------------------------------------------------

def session_local_date(session):
    """The day the session took place, in its centre's time zone (the sign-off date)."""
    return to_local(session.start_at, centre_tz(session.station)).date()


def expiry_window_days():
    return int(current_app.config["KTC_EXPIRY_WINDOW_DAYS"])


# --- attendance and sign-off -----------------------------------------------------------------

def check_recordable(actor, session, now):
    """Raise why this user cannot record attendance for the session now."""
    if not policy.can_record_session(actor, session):
        raise PermissionDenied()
    if session.status == "cancelled":
        raise SessionCancelled()
    if session.start_at > now:
        raise SessionNotStarted()


def _seat_bookings(session):
    rows = db.session.execute(
        select(Booking)
        .where(Booking.session_id == session.id, Booking.status.in_(SEAT_STATUSES))
        .options(joinedload(Booking.participant))
        .order_by(Booking.id)
        .execution_options(populate_existing=True)
    ).scalars().all()
    return {b.participant_id: b for b in rows}


def session_records(session):
    """Existing records of a session, keyed by participant and then skill."""
    result = {}
    stmt = (select(SkillRecord).where(SkillRecord.session_id == session.id).options(joinedload(SkillRecord.signed_by))
            .execution_options(populate_existing=True))
    for rec in db.session.execute(stmt).scalars():
        result.setdefault(rec.participant_id, {})[rec.skill_id] = rec
    return result


def _normalise_outcomes(session, outcomes):
    covered = {s.id: s for s in session.skills}
    clean = {}
    for skill_id, outcome in (outcomes or {}).items():
        try:
            skill_id = int(skill_id)
        except (TypeError, ValueError):
            raise SkillNotCovered() from None
        if skill_id not in covered:
            raise SkillNotCovered()
        if outcome in ("", None):
            outcome = None
        elif outcome not in OUTCOMES:
            raise InvalidOutcome(outcome=outcome)
        clean[skill_id] = outcome
    return clean, covered


def _apply_row(actor, session, booking, attended, outcomes, comments, existing, covered, signed_day, now):
    """Set one person's attendance and outcomes; audit each change. Returns True if anything changed."""
    changed = False
    new_status = "attended" if attended else "no_show"
    if booking.status != new_status:
        audit.record(actor, "attendance.set", booking, session_id=session.id,
                     participant_id=booking.participant_id, before=booking.status, after=new_status)
        booking.status = new_status
        booking.attendance_at = now
        booking.attendance_by_id = actor.id
        changed = True
        if new_status == "no_show":
            booking_no_show(booking)
    if not attended:
        if any(outcome is not None for outcome in outcomes.values()):
            raise OutcomeWithoutAttendance()
        # Someone who did not come cannot keep a sign-off from this session.
        outcomes = {skill_id: None for skill_id in existing}
    for skill_id, outcome in outcomes.items():
        record = existing.get(skill_id)
        comment = (comments or {}).get(skill_id)
        details = {"session_id": session.id, "participant_id": booking.participant_id, "skill_id": skill_id}
        if outcome is None:
            if record is not None:
                audit.record(actor, "signoff.removed", record, before=record.outcome, **details)
                db.session.delete(record)
                existing.pop(skill_id)
                changed = True
            continue
        valid_until = valid_until_for(outcome, covered[skill_id].refresh_months, signed_day)
        if record is None:
            record = SkillRecord(
                participant_id=booking.participant_id, skill_id=skill_id, session_id=session.id,
                outcome=outcome, signed_by_id=actor.id, signed_at=now, comment=(comment or "").strip(),
                valid_until=valid_until,
            )
            db.session.add(record)
            db.session.flush()
            existing[skill_id] = record
            audit.record(actor, "signoff.recorded", record, outcome=outcome, valid_until=valid_until,
                         comment=record.comment, **details)
            changed = True
            continue
        new_comment = record.comment if comment is None else comment.strip()
        if record.outcome != outcome or record.comment != new_comment:
            audit.record(actor, "signoff.changed", record, before=record.outcome, after=outcome,
                         comment_before=record.comment, comment_after=new_comment, valid_until=valid_until, **details)
            record.outcome = outcome
            record.comment = new_comment
            record.valid_until = valid_until
            record.signed_by_id = actor.id
            record.signed_at = now
            changed = True
    return changed


def record_attendance(actor, session, entries, now=None):
    """Record attendance and outcomes for one or more people in a session.

    `entries` is a list of dicts: participant_id, attended (bool), outcomes {skill_id: outcome
    or None}, optional comments {skill_id: text}. Skills left out keep their record; None
    removes it. Everything is checked before the caller commits; any error stops the lot (a
    refusal about one person carries their `participant_id`). Returns the bookings touched, in
    the order given.
    """
    now = now or utcnow()
    hold_session(session)  # the session's status, as checked next, cannot change before the commit
    check_recordable(actor, session, now)
    bookings = _seat_bookings(session)
    records = session_records(session)
    signed_day = session_local_date(session)
    touched, changed = [], False
    for entry in entries:
        try:
            booking = bookings.get(entry["participant_id"])
            if booking is None:
                # The id only: the instructor may not see who else exists.
                raise NotBooked(id=entry["participant_id"])
            outcomes, covered = _normalise_outcomes(session, entry.get("outcomes"))
            comments = {int(k): v for k, v in (entry.get("comments") or {}).items()}
            changed |= _apply_row(actor, session, booking, bool(entry["attended"]), outcomes, comments,
                                  records.setdefault(booking.participant_id, {}), covered, signed_day, now)
        except DomainError as exc:
            # The roster grid names the person the refusal is about.
            exc.participant_id = entry["participant_id"]
            raise
        touched.append(booking)
    db.session.flush()
    if changed:
        refresh_session_stats([session.id])
    return touched


def mark_all_attended_demonstrated(actor, session, now=None):
    """The roster's one action: everyone with a seat attended and demonstrated every covered skill."""
    entries = [
        {"participant_id": pid, "attended": True, "outcomes": {s.id: "demonstrated" for s in session.skills}}
        for pid in _seat_bookings(session)
    ]
    return record_attendance(actor, session, entries, now=now)


def roster(session):
    """The roster's rows: (booking, {skill_id: SkillRecord}) for everyone with a seat, by name."""
    bookings = sorted(_seat_bookings(session).values(), key=lambda b: (b.participant.name.lower(), b.id))
    records = session_records(session)
    return [(b, records.get(b.participant_id, {})) for b in bookings]


def roster_now(session):
    """The roster as saved now, read under the session's row lock: a save that compares the rows it
    changes against it cannot be overtaken by another save before it commits."""
    hold_session(session)
    return roster(session)


def check_completable(actor, session, now):
    """Raise why this user cannot mark the session completed now (before asking them to confirm)."""
    check_recordable(actor, session, now)
    if session.status != "completed" and session.end_at > now:
        raise SessionNotEnded()


def complete_session(actor, session, now=None):
    """Mark a session completed (the feedback feature then sends its links). Idempotent."""
    now = now or utcnow()
    hold_session(session)  # a session cancelled meanwhile is not marked completed over it
    check_completable(actor, session, now)
    if session.status == "completed":
        return session
    session.status = "completed"
    session.completed_at = now
    session.updated_at = now
    audit.record(actor, "session.completed", session)
    db.session.flush()
    return session


def complete_finished_sessions(now=None, after_hours=None):
    """Complete scheduled sessions that ended `after_hours` ago (the instructor forgot).

    Each session is claimed with a conditional UPDATE, so a concurrent or repeated run
    completes (and audits) it once. Returns the ids completed.
    """
    now = now or utcnow()
    if after_hours is None:
        after_hours = current_app.config["KTC_AUTO_COMPLETE_HOURS"]
    limit = now - timedelta(hours=after_hours)
    due = db.session.execute(
        select(Session.id).where(Session.status == "scheduled", Session.end_at <= limit).order_by(Session.id)
    ).scalars().all()
    done = []
    for session_id in due:
        result = db.session.execute(
            update(Session)
            .where(Session.id == session_id, Session.status == "scheduled")
            .values(status="completed", completed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            audit.record(None, "session.completed", object_type="session", object_id=session_id, automatic=True)
            done.append(session_id)
    # Bulk statements bypass the ORM: the feeds that show these sessions are marked here.
    stamps.sessions_changed(done)
    db.session.flush()
    return done


# --- a participant's record ------------------------------------------------------------------

@dataclass
class SkillSummary:
    skill: Skill
    required: bool
    status: str
    valid_until: object
    history: list = field(default_factory=list)

    @property
    def latest(self):
        return self.history[0] if self.history else None


def skill_overview(participant, today=None, window_days=None):
    """Per skill (required ones first): status, valid-until and the history, newest first."""
    today = today or local_today()
    window_days = expiry_window_days() if window_days is None else window_days
    records = db.session.execute(
        select(SkillRecord)
        .join(Session, SkillRecord.session_id == Session.id)
        .where(SkillRecord.participant_id == participant.id)
        .options(
            joinedload(SkillRecord.skill),
            joinedload(SkillRecord.signed_by),
            joinedload(SkillRecord.session).joinedload(Session.station).joinedload(Station.centre),
        )
        .order_by(Session.start_at.desc(), SkillRecord.signed_at.desc(), SkillRecord.id.desc())
    ).scalars().all()
    by_skill = {}
    for rec in records:
        by_skill.setdefault(rec.skill_id, []).append(rec)
    required = list(participant.profession.required_skills) if participant.profession else []
    required_ids = {s.id for s in required}
    others = sorted({rec.skill for rec in records if rec.skill_id not in required_ids}, key=lambda s: s.code)
    result = []
    for skill in required + others:
        history = by_skill.get(skill.id, [])
        status, valid_until = cell_status([(r.outcome, r.valid_until) for r in history], today, window_days)
        result.append(SkillSummary(skill, skill.id in required_ids, status, valid_until, history))
    return result


# The participant's own list: what they can rely on first, then what needs a refresh or training.
OWN_ORDER = {"valid": 0, "expiring": 1, "expired": 2, "practised": 3, "missing": 4}


def upcoming_by_skill(participant, now=None):
    """{skill_id: [Booking]}: the person's coming bookings (confirmed or waiting) per skill covered."""
    now = now or utcnow()
    rows = db.session.execute(
        select(session_skills.c.skill_id, Booking)
        .join(Session, Session.id == Booking.session_id)
        .join(session_skills, session_skills.c.session_id == Session.id)
        .where(Booking.participant_id == participant.id, Booking.status.in_(("confirmed", "waitlisted")),
               Session.status == "scheduled", Session.start_at > now)
        .options(joinedload(Booking.session).joinedload(Session.station).joinedload(Station.centre))
        .order_by(Session.start_at, Booking.id)
    ).all()
    result = {}
    for skill_id, booking in rows:
        result.setdefault(skill_id, []).append(booking)
    return result


def own_skill_list(participant, overview, today, now=None):
    """"My skills": the overview valid first, then expiring, expired, practised and missing, each with
    the coming bookings that cover it (a skill only booked, never recorded, is listed as missing)."""
    overview = list(overview)  # `skill_overview`'s result; not changed in place
    upcoming = upcoming_by_skill(participant, now)
    listed = {item.skill.id for item in overview}
    booked_only = {b_skill for b_skill in upcoming if b_skill not in listed}
    if booked_only:
        skills = db.session.execute(select(Skill).where(Skill.id.in_(booked_only))).scalars().all()
        overview += [SkillSummary(skill, False, "missing", None) for skill in skills]
    overview.sort(key=lambda item: (OWN_ORDER.get(item.status, 9), item.valid_until is None,
                                    item.valid_until or today, item.skill.code))
    return [(item, upcoming.get(item.skill.id, [])) for item in overview]


# --- the manager's matrix --------------------------------------------------------------------

@dataclass
class Cell:
    status: str
    valid_until: object = None
    skill_id: int | None = None
    side: str | None = None
    # The person's next booking covering the skill: "confirmed" or "waitlisted", and its (local) day.
    booked: str | None = None
    booked_on: object = None

    @property
    def is_gap(self):
        return self.status in GAP_STATUSES

    @property
    def key(self):
        """What the cell shows: equal keys render alike (the matrix page renders each key once)."""
        return (self.skill_id, self.side, self.status, self.valid_until, self.booked, self.booked_on)


@dataclass
class MatrixRow:
    participant: Participant
    cells: dict  # skill_id -> Cell; skills the person's profession does not require are absent
    line: list = field(default_factory=list)  # a Cell or None per skill of the matrix, in its order


@dataclass
class Matrix:
    skills: list
    rows: list
    upcoming: dict  # (skill_id, side) -> [Session]
    today: object
    window_days: int

    def gap_skill_sides(self):
        return sorted(self.upcoming, key=lambda key: (next(s.code for s in self.skills if s.id == key[0]), key[1]))

    def counts(self):
        """Cells per status, and per booking ("confirmed", "waitlisted") for those with a coming booking."""
        totals = {}
        for row in self.rows:
            for cell in row.cells.values():
                totals[cell.status] = totals.get(cell.status, 0) + 1
                if cell.booked:
                    totals[cell.booked] = totals.get(cell.booked, 0) + 1
        return totals


def visible_units(user):
    """Units whose staff the user may see in the matrix: all for admins, their own for managers."""
    stmt = select(Unit).options(joinedload(Unit.organisation)).order_by(Unit.name)
    if not policy.is_admin(user):
        stmt = stmt.where(Unit.id.in_(policy.managed_unit_ids(user) or {-1}))
    return db.session.execute(stmt).scalars().all()


def _staff_filter(unit_ids, profession_id=None, skill_id=None):
    conditions = [Participant.unit_id.in_(unit_ids or [-1]), Participant.active.is_(True),
                  Participant.anonymised_at.is_(None)]
    if profession_id:
        conditions.append(Participant.profession_id == profession_id)
    if skill_id:
        requiring = select(profession_skills.c.profession_id).where(profession_skills.c.skill_id == skill_id)
        conditions.append(Participant.profession_id.in_(requiring))
    return conditions


def build_matrix(unit_ids, profession_id=None, skill_id=None, today=None, window_days=None, now=None,
                 with_upcoming=True):
    """Staff of the units × the skills their professions require, each cell with its status.

    Built with a fixed number of queries whatever the number of staff: staff, requirements,
    records and upcoming sessions are each fetched in one statement.
    """
    now = now or utcnow()
    today = today or to_local(now).date()
    window_days = expiry_window_days() if window_days is None else window_days
    conditions = _staff_filter(unit_ids, profession_id, skill_id)
    staff = db.session.execute(
        select(Participant)
        .where(*conditions)
        .options(joinedload(Participant.unit).joinedload(Unit.organisation), joinedload(Participant.profession))
        .order_by(Participant.name, Participant.id)
    ).scalars().all()

    staff_professions = select(Participant.profession_id).where(*conditions)
    requirement_stmt = (
        select(profession_skills.c.profession_id, Skill)
        .join(Skill, Skill.id == profession_skills.c.skill_id)
        .where(profession_skills.c.profession_id.in_(staff_professions))
    )
    if skill_id:
        requirement_stmt = requirement_stmt.where(Skill.id == skill_id)
    required = {}
    skills = {}
    for prof_id, skill in db.session.execute(requirement_stmt):
        required.setdefault(prof_id, set()).add(skill.id)
        skills[skill.id] = skill

    history = {}
    if skills:
        staff_ids = select(Participant.id).where(*conditions)
        rows = db.session.execute(
            select(SkillRecord.participant_id, SkillRecord.skill_id, SkillRecord.outcome, SkillRecord.valid_until)
            .join(Session, SkillRecord.session_id == Session.id)
            .where(SkillRecord.participant_id.in_(staff_ids), SkillRecord.skill_id.in_(list(skills)))
            .order_by(Session.start_at.desc(), SkillRecord.signed_at.desc(), SkillRecord.id.desc())
        )
        for pid, sid, outcome, valid_until in rows:
            history.setdefault((pid, sid), []).append((outcome, valid_until))

    booked = _coming_bookings(conditions, list(skills), now) if skills else {}

    matrix_rows = []
    gaps = set()
    ordered = sorted(skills.values(), key=lambda s: s.code)
    for person in staff:
        cells = {}
        side = person.unit.organisation.side
        for sid in required.get(person.profession_id, ()):
            status, valid_until = cell_status(history.get((person.id, sid), []), today, window_days)
            cells[sid] = Cell(status, valid_until, sid, side, *booked.get((person.id, sid), (None, None)))
            if status in GAP_STATUSES:
                gaps.add((sid, side))
        matrix_rows.append(MatrixRow(person, cells, [cells.get(skill.id) for skill in ordered]))
    upcoming = upcoming_sessions(gaps, now) if with_upcoming else {key: [] for key in gaps}
    return Matrix(ordered, matrix_rows, upcoming, today, window_days)


def _coming_bookings(staff_conditions, skill_ids, now):
    """(participant id, skill id) -> (status, local day) of the person's next booking covering the skill.

    A confirmed seat wins over a place on a waiting list; among equals, the earliest session. One
    query for the whole matrix.
    """
    rows = db.session.execute(
        select(Booking.participant_id, session_skills.c.skill_id, Booking.status, Session.start_at)
        .join(Session, Session.id == Booking.session_id)
        .join(session_skills, session_skills.c.session_id == Session.id)
        .where(Booking.participant_id.in_(select(Participant.id).where(*staff_conditions)),
               session_skills.c.skill_id.in_(skill_ids), Booking.status.in_(("confirmed", "waitlisted")),
               Session.status == "scheduled", Session.end_at > now)
        .order_by(Session.start_at, Session.id)
    )
    result = {}
    for pid, sid, status, start_at in rows:
        current = result.get((pid, sid))
        if current is None or (current[0] == "waitlisted" and status == "confirmed"):
            result[(pid, sid)] = (status, to_local(start_at).date())
    return result


def upcoming_sessions(skill_sides, now=None, per_skill=UPCOMING_PER_SKILL):
    """For each (skill_id, side): the next bookable sessions covering the skill with a seat for that side.

    A fixed number of queries whatever the number of planned sessions: per side, a window query
    keeps only the first `per_skill` sessions per skill where the side is within its quota, plus
    every session close enough to start that its held seats may already be released (a short
    list); the exact seat rule is then applied to that small set in start order.
    """
    now = now or utcnow()
    result = {key: [] for key in skill_sides}
    if not result:
        return result
    cutoff = now + timedelta(hours=current_app.config["KTC_BOOKING_CUTOFF_HOURS"])
    bookable = (
        Session.status == "scheduled",
        Session.start_at > cutoff,
        has_free_seat_clause(),
    )
    longest_release = db.session.execute(
        select(func.max(Session.release_before_hours)).where(*bookable)
    ).scalar_one() or 0
    may_be_released = Session.start_at <= now + timedelta(hours=longest_release)
    candidates = {}
    for side in sorted({side for _sid, side in skill_sides}):
        skill_ids = sorted({sid for sid, s in skill_sides if s == side})
        rank = func.row_number().over(
            partition_by=session_skills.c.skill_id, order_by=(Session.start_at, Session.id)
        ).label("rank")
        within_quota = (
            select(session_skills.c.skill_id, Session.id.label("session_id"), rank)
            .join(Session, Session.id == session_skills.c.session_id)
            .where(session_skills.c.skill_id.in_(skill_ids), *bookable, within_quota_clause(side))
            .subquery()
        )
        rows = db.session.execute(
            select(within_quota.c.skill_id, within_quota.c.session_id).where(within_quota.c.rank <= per_skill)
        ).all()
        rows += db.session.execute(
            select(session_skills.c.skill_id, Session.id)
            .join(Session, Session.id == session_skills.c.session_id)
            .where(session_skills.c.skill_id.in_(skill_ids), *bookable, may_be_released)
        ).all()
        for skill_id, session_id in rows:
            candidates.setdefault(session_id, set()).add((skill_id, side))
    if not candidates:
        return result
    sessions = db.session.execute(
        select(Session)
        .where(Session.id.in_(list(candidates)))
        .options(joinedload(Session.station).joinedload(Station.centre))
        .order_by(Session.start_at, Session.id)
    ).scalars().all()
    for session in sessions:
        for key in sorted(candidates[session.id]):
            if key in result and len(result[key]) < per_skill and has_seat_for_side(session, key[1], now):
                result[key].append(session)
    return result


def session_url(session_id, external=False):
    """The session's page; absolute (on KTC_BASE_URL) for e-mails or outside a request."""
    if has_request_context() and not external:
        return url_for("sessions.detail", session_id=session_id)
    return external_url("sessions.detail", session_id=session_id)


def matrix_csv_rows(matrix, labels):
    """Header and rows for the CSV export: one column per skill with status and valid-until."""
    header = [str(labels["name"]), str(labels["unit"]), str(labels["profession"])]
    header += [f"{s.code} {s.name}" for s in matrix.skills]
    rows = []
    for row in matrix.rows:
        p = row.participant
        values = [p.name, p.unit.name, p.profession.name if p.profession else ""]
        for skill in matrix.skills:
            cell = row.cells.get(skill.id)
            if cell is None:
                values.append("")
            else:
                text = str(labels[cell.status])
                if cell.valid_until:
                    text = f"{text} {cell.valid_until.isoformat()}"
                if cell.booked:
                    text = f"{text} ({labels['booked_' + cell.booked]} {cell.booked_on.isoformat()})"
                values.append(text)
        rows.append(values)
    return header, rows


def expiry_items(matrix):
    """(participant, skill, cell) for every expiring or expired cell, by person then skill."""
    skills = {s.id: s for s in matrix.skills}
    items = []
    for row in matrix.rows:
        for sid, cell in row.cells.items():
            if cell.status in ("expiring", "expired"):
                items.append((row.participant, skills[sid], cell))
    items.sort(key=lambda item: (item[2].valid_until, item[0].name, item[1].code))
    return items

