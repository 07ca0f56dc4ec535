"""Training needs: stated by managers, derived from skill records, and the demand board.

A *need* is one unit wanting a number of people (or named people) trained in one skill by a
month. Managers state needs for their units; KTC derives needs from what it knows (a required
skill a person lacks, a record that has expired or expires before the horizon, or a learning path
step for a skill that is late) and the manager confirms them (they become needs) or dismisses
them. A dismissal is remembered with a fingerprint of the facts it was made on, so the same derived
need comes back only when those facts change.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ktc import policy
from ktc.bookings.models import Booking
from ktc.bookings.seats import free_for_side
from ktc.database import among, savepoint, utcnow
from ktc.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.i18n import local_today, to_local
from ktc.organisations.models import Participant, Unit
from ktc.paths.operations import late_steps
from ktc.planning.models import DerivedDecision, Need
from ktc.records.models import SkillRecord
from ktc.records.operations import build_matrix
from ktc.records.status import EXPIRED, EXPIRING, GAP_STATUSES, MISSING, add_months
from ktc.sessions.models import Session, session_skills
from ktc.sessions.operations import local_to_utc
from ktc.skills.models import Skill

SIDES = ("municipal", "regional")
# How far ahead a need may be stated, and how far ahead derived needs look by default.
MAX_MONTHS_AHEAD = 24
DERIVED_HORIZON_MONTHS = 3
MAX_PEOPLE = 1000
# Urgency order: an expired skill before one about to expire before one never learnt.
URGENCY_ORDER = (EXPIRED, EXPIRING, MISSING)
URGENCY_WEIGHT = {EXPIRED: 3, EXPIRING: 2, MISSING: 1}
# A person counted for a late learning path step (urgency as a missing skill: no valid record).
LATE_STEP = "late_step"


class InactiveSkill(ValidationError):
    code = "inactive_skill"
    message = _l("The skill is not active; choose an active skill.")


class MonthInPast(ValidationError):
    code = "month_in_past"
    message = _l("The month has already passed; choose this month or a later one.")


class MonthTooFar(ValidationError):
    code = "month_too_far"
    message = _l("Choose a month at most %(months)s months ahead.")


class BadPeopleCount(ValidationError):
    code = "bad_people_count"
    message = _l("Give how many people need the training: 1 to %(max)s.")


class NotInUnit(ValidationError):
    code = "not_in_unit"
    message = _l("The people named must be active staff of the unit.")


class NeedClosed(Conflict):
    code = "need_closed"
    message = _l("The need is already covered and can no longer be changed.")


class NeedsChanged(Conflict):
    code = "needs_changed"
    message = _l("The needs changed while the plan was being accepted (another plan covered them or a "
                 "manager edited them); propose the plan again.")


class DerivedNeedChanged(Conflict):
    code = "derived_need_changed"
    message = _l("The need has changed since the page was shown; look at it again.")


def first_of_month(day):
    return date(day.year, day.month, 1)


def months_between(start, end):
    return (end.year - start.year) * 12 + end.month - start.month


def _today():
    return local_today()


# --- stated needs ---------------------------------------------------------------------------

def _check_need(actor, unit, skill, month, people, named, today):
    if not policy.can_manage_unit(actor, unit):
        raise PermissionDenied()
    if skill is None or not skill.active:
        raise InactiveSkill(field="skill_id")
    if month is None or first_of_month(month) < first_of_month(today):
        raise MonthInPast(field="month")
    if months_between(today, month) > MAX_MONTHS_AHEAD:
        raise MonthTooFar(field="month", months=MAX_MONTHS_AHEAD)
    for person in named:
        if person.unit_id != unit.id or not person.active or person.anonymised_at is not None:
            raise NotInUnit(field="participant_ids")
    if people is None:
        people = len(named)
    if not 1 <= people <= MAX_PEOPLE or people < len(named):
        raise BadPeopleCount(field="people", max=MAX_PEOPLE)
    return people


def create_need(actor, unit, skill, month, people=None, named=(), note="", today=None):
    """A manager (or admin) states what a unit needs; `people` defaults to the number named."""
    named = list(named)
    people = _check_need(actor, unit, skill, month, people, named, today or _today())
    need = Need(unit=unit, skill=skill, month=first_of_month(month), people=people, named=named,
                note=(note or "").strip(), source="stated", created_by=actor)
    db.session.add(need)
    db.session.flush()
    return need


def update_need(actor, need, skill, month, people=None, named=(), note="", today=None):
    """Change a need while it is still open."""
    if not policy.can_manage_unit(actor, need.unit):
        raise PermissionDenied()
    _claim_open(need)
    named = list(named)
    people = _check_need(actor, need.unit, skill, month, people, named, today or _today())
    need.skill, need.month, need.people, need.named = skill, first_of_month(month), people, named
    need.note = (note or "").strip()
    need.updated_at = utcnow()
    db.session.flush()
    return need


def withdraw_need(actor, need):
    """Remove an open need (the manager no longer needs it)."""
    if not policy.can_manage_unit(actor, need.unit):
        raise PermissionDenied()
    _claim_open(need)
    db.session.delete(need)
    db.session.flush()


def _claim_open(need):
    """Hold the need while it is still open, or refuse: a plan being accepted that covers it either
    waits for this change (and then sees it changed) or has covered it first (NeedClosed)."""
    if need.status != "open":
        raise NeedClosed()
    if not current_app.config.get("KTC_NEED_GUARD", True):
        return
    result = db.session.execute(update(Need).where(Need.id == need.id, Need.status == "open")
                                .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NeedClosed()


def cover_need(need, session):
    """Mark an open need covered by `session`, on the condition that nobody covered, changed or
    withdrew it since it was read (two plans accepted at once cover a need once)."""
    if not current_app.config.get("KTC_NEED_GUARD", True):
        need.status, need.covered_session, need.updated_at = "covered", session, utcnow()
        db.session.flush()
        return
    result = db.session.execute(
        update(Need).where(Need.id == need.id, Need.status == "open", Need.updated_at == need.updated_at)
        .values(status="covered", covered_session_id=session.id, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NeedsChanged()
    db.session.expire(need, ["status", "covered_session_id", "covered_session", "updated_at"])


def visible_needs(user, unit_id=None, status=None):
    """Needs the user may see: every unit's for admins, their own units' for managers."""
    stmt = (select(Need).options(joinedload(Need.unit).joinedload(Unit.organisation), joinedload(Need.skill),
                                 selectinload(Need.named))
            .order_by(Need.month, Need.id))
    if not policy.is_admin(user):
        stmt = stmt.where(Need.unit_id.in_(policy.managed_unit_ids(user) or {-1}))
    if unit_id is not None:
        stmt = stmt.where(Need.unit_id == unit_id)
    if status is not None:
        stmt = stmt.where(Need.status == status)
    return db.session.execute(stmt).scalars().all()


def get_need(user, need_id):
    """The need if the user may see it, else NotFound (no hint that it exists)."""
    need = db.session.get(Need, need_id)
    if need is None or not policy.can_manage_unit(user, need.unit):
        raise NotFound()
    return need


# --- derived needs --------------------------------------------------------------------------

@dataclass
class DerivedNeed:
    unit: Unit
    skill: Skill
    month: date
    people: list = field(default_factory=list)  # (participant, status, valid_until)

    @property
    def urgency(self):
        statuses = {EXPIRED if s == EXPIRED else EXPIRING if s == EXPIRING else MISSING for _, s, _ in self.people}
        return next(u for u in URGENCY_ORDER if u in statuses)

    @property
    def fingerprint(self):
        """What the need is made of: who lacks the skill, how, and until when."""
        text = "|".join(sorted(f"{p.id}:{s}:{v}" for p, s, v in self.people))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def key(self):
        return (self.unit.id, self.skill.id, self.month)


def _derived_month(status, valid_until, this_month):
    if status == EXPIRING and valid_until is not None:
        return max(this_month, first_of_month(valid_until))
    return this_month


def compute_derived(unit_ids, today=None, horizon_months=DERIVED_HORIZON_MONTHS, now=None):
    """Derived needs per unit, skill and month, before any decision is applied.

    People already holding a confirmed seat in a coming session for the skill are not counted.
    """
    today = today or _today()
    horizon_end = add_months(today, horizon_months)
    matrix = build_matrix(list(unit_ids), today=today, window_days=(horizon_end - today).days, now=now,
                          with_upcoming=False)
    this_month = first_of_month(today)
    skills = {s.id: s for s in matrix.skills}
    grouped = {}
    for row in matrix.rows:
        for skill_id, cell in row.cells.items():
            if cell.status not in GAP_STATUSES or cell.booked == "confirmed":
                continue
            if not skills[skill_id].active:
                continue
            month = _derived_month(cell.status, cell.valid_until, this_month)
            key = (row.participant.unit_id, skill_id, month)
            if key not in grouped:
                grouped[key] = DerivedNeed(row.participant.unit, skills[skill_id], month)
            grouped[key].people.append((row.participant, cell.status, cell.valid_until))
    decided = {(row.participant.id, skill_id) for row in matrix.rows for skill_id in row.cells}
    for person, skill in _late_skill_steps(unit_ids, today, now or utcnow(), decided):
        key = (person.unit_id, skill.id, this_month)
        if key not in grouped:
            grouped[key] = DerivedNeed(person.unit, skill, this_month)
        grouped[key].people.append((person, LATE_STEP, None))
    return sorted(grouped.values(), key=lambda d: (d.unit.name, d.month, d.skill.code))


def _late_skill_steps(unit_ids, today, now, decided):
    """(person, skill) for each late learning path step that is an active KTC skill, counted like a
    missing required skill (a late skill step has no valid record), once per person and skill.

    Pairs the skill matrix already decides (the skill is required by the person's profession) are
    left to it, so nobody is counted twice; a confirmed seat in a coming session for the skill
    takes the person out, as it does for the matrix's gaps. A fixed number of queries.
    """
    pairs = {}
    for late in late_steps(unit_ids, today):
        person = late.participant
        key = (person.id, late.step.skill_id)
        if late.step.kind == "skill" and person.anonymised_at is None and key not in decided:
            pairs.setdefault(key, person)
    if not pairs:
        return []
    skill_ids = {sid for _pid, sid in pairs}
    skills = {s.id: s for s in db.session.execute(
        select(Skill).where(Skill.id.in_(skill_ids), Skill.active.is_(True))).scalars()}
    seated = {(pid, sid) for pid, sid in db.session.execute(
        select(Booking.participant_id, session_skills.c.skill_id)
        .join(Session, Session.id == Booking.session_id)
        .join(session_skills, session_skills.c.session_id == Session.id)
        .where(among(Booking.participant_id, {pid for pid, _sid in pairs}), session_skills.c.skill_id.in_(skill_ids),
               Booking.status == "confirmed", Session.status == "scheduled", Session.end_at > now)
    )}
    return [(person, skills[sid]) for (pid, sid), person in pairs.items()
            if sid in skills and (pid, sid) not in seated]


def _decisions(unit_ids):
    rows = db.session.execute(select(DerivedDecision).where(DerivedDecision.unit_id.in_(list(unit_ids) or [-1])))
    return {(d.unit_id, d.skill_id, d.month): d for d in rows.scalars()}


def pending_derived(unit_ids, today=None, now=None):
    """Derived needs the manager has not answered for these facts (a changed need comes back)."""
    decisions = _decisions(unit_ids)
    pending = []
    for need in compute_derived(unit_ids, today=today, now=now):
        decision = decisions.get(need.key)
        if decision is None or decision.fingerprint != need.fingerprint:
            pending.append(need)
    return pending


def decide_derived(actor, unit, skill_id, month, fingerprint, confirm, today=None, now=None):
    """Confirm (it becomes a need) or dismiss one derived need, as it was shown (same fingerprint)."""
    if not policy.can_manage_unit(actor, unit):
        raise PermissionDenied()
    current = next((d for d in compute_derived([unit.id], today=today, now=now)
                    if d.skill.id == skill_id and d.month == month), None)
    if current is None or current.fingerprint != fingerprint:
        raise DerivedNeedChanged()
    _claim_decision(actor, unit, skill_id, month, fingerprint, "confirmed" if confirm else "dismissed")
    need = None
    if confirm:
        need = Need(unit=unit, skill=current.skill, month=month, people=len(current.people),
                    named=[p for p, _, _ in current.people], source="derived", urgency=current.urgency,
                    created_by=actor)
        db.session.add(need)
        db.session.flush()
        db.session.execute(update(DerivedDecision).where(
            DerivedDecision.unit_id == unit.id, DerivedDecision.skill_id == skill_id, DerivedDecision.month == month)
            .values(need_id=need.id).execution_options(synchronize_session=False))
    return need


def _claim_decision(actor, unit, skill_id, month, fingerprint, answer):
    """Record the answer for these facts once: a second answer to the same facts (another tab, another
    manager at the same moment) is refused instead of confirming the need twice. The write is
    conditional on the fingerprint read (or on the unique key when there is no decision yet)."""
    key = (DerivedDecision.unit_id == unit.id, DerivedDecision.skill_id == skill_id, DerivedDecision.month == month)
    seen = db.session.execute(select(DerivedDecision.fingerprint).where(*key)).scalar_one_or_none()
    if seen == fingerprint:
        raise DerivedNeedChanged()
    values = dict(decision=answer, fingerprint=fingerprint, need_id=None, decided_by_id=actor.id,
                  decided_at=utcnow())
    if not current_app.config.get("KTC_DECISION_GUARD", True):
        _claim_decision_unguarded(key, seen, unit, skill_id, month, values)
        return
    if seen is None:
        try:
            with savepoint():
                db.session.add(DerivedDecision(unit_id=unit.id, skill_id=skill_id, month=month, **values))
        except IntegrityError:
            raise DerivedNeedChanged() from None
        return
    result = db.session.execute(update(DerivedDecision).where(*key, DerivedDecision.fingerprint == seen)
                                .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise DerivedNeedChanged()


def _claim_decision_unguarded(key, seen, unit, skill_id, month, values):
    """Write back whatever was read: the lost update the guard prevents. Only for the control test."""
    if seen is None:
        db.session.add(DerivedDecision(unit_id=unit.id, skill_id=skill_id, month=month, **values))
        db.session.flush()
    else:
        db.session.execute(update(DerivedDecision).where(*key).values(**values)
                           .execution_options(synchronize_session=False))


# --- the demand board -----------------------------------------------------------------------

@dataclass
class BoardCell:
    need: int = 0
    free: int = 0

    @property
    def uncovered(self):
        return max(0, self.need - self.free)

    @property
    def level(self):
        """0 (nothing uncovered) to 4 (nothing of a need of any size covered): the heat map's colour."""
        if self.uncovered == 0:
            return 0
        share = self.uncovered / self.need
        return 1 + min(3, int(share * 3.999))


@dataclass
class Board:
    months: list
    skills: list
    by_side: dict      # (skill_id, month, side) -> BoardCell
    by_skill: dict     # (skill_id, month) -> BoardCell (both sides)
    by_organisation: list  # (organisation, skill, month, people)

    def rows(self):
        """(skill, month, side, cell) for every combination with a need or free seats, for tables and CSV."""
        for skill in self.skills:
            for month in self.months:
                for side in SIDES:
                    cell = self.by_side.get((skill.id, month, side))
                    if cell is not None:
                        yield skill, month, side, cell


def demand_board(months_ahead=6, today=None, now=None):
    """Open needs per skill × month × side and per organisation, against free seats per side in
    the scheduled sessions of that month that train the skill."""
    now = now or utcnow()
    today = today or _today()
    first = first_of_month(today)
    months = [add_months(first, i) for i in range(months_ahead)]
    end = add_months(first, months_ahead)
    needs = db.session.execute(
        select(Need).where(Need.status == "open", Need.month >= first, Need.month < end)
        .options(joinedload(Need.unit).joinedload(Unit.organisation), joinedload(Need.skill))
    ).scalars().all()
    by_side, by_org, skills = {}, {}, {}
    for need in needs:
        side = need.unit.organisation.side
        skills[need.skill_id] = need.skill
        by_side.setdefault((need.skill_id, need.month, side), BoardCell()).need += need.people
        org_key = (need.unit.organisation_id, need.skill_id, need.month)
        if org_key not in by_org:
            by_org[org_key] = [need.unit.organisation, need.skill, need.month, 0]
        by_org[org_key][3] += need.people
    sessions = db.session.execute(
        select(Session, Skill)
        .join(session_skills, session_skills.c.session_id == Session.id)
        .join(Skill, Skill.id == session_skills.c.skill_id)
        .where(Session.status == "scheduled", Session.start_at >= now,
               Session.start_at < local_to_utc(end, time(0), "Europe/Stockholm") + timedelta(days=1))
    ).all()
    by_skill = {}
    for session, skill in sessions:
        skill_id = skill.id
        month = first_of_month(to_local(session.start_at).date())
        if month < first or month >= end:
            continue
        # Both sides together: the seats still free, counted once.
        by_skill.setdefault((skill_id, month), BoardCell()).free += session.seats_free
        for side in SIDES:
            free = free_for_side(session, side, now)
            if free or (skill_id, month, side) in by_side:
                by_side.setdefault((skill_id, month, side), BoardCell()).free += free
                skills.setdefault(skill_id, skill)
    for (skill_id, month, _side), cell in by_side.items():
        by_skill.setdefault((skill_id, month), BoardCell()).need += cell.need
    ordered = sorted(skills.values(), key=lambda s: s.code)
    orgs = sorted(by_org.values(), key=lambda r: (r[0].name, r[1].code, r[2]))
    return Board(months, ordered, by_side, by_skill, orgs)


def active_staff(unit):
    return db.session.execute(
        select(Participant).where(Participant.unit_id == unit.id, Participant.active.is_(True),
                                  Participant.anonymised_at.is_(None)).order_by(Participant.name)
    ).scalars().all()


def met_need_ids(needs):
    """Covered needs whose people have the skill signed in the covering session (shown as met)."""
    covered = [n for n in needs if n.status == "covered" and n.covered_session_id]
    if not covered:
        return set()
    rows = db.session.execute(
        select(SkillRecord.session_id, SkillRecord.skill_id, SkillRecord.participant_id, Participant.unit_id)
        .join(Participant, Participant.id == SkillRecord.participant_id)
        .where(SkillRecord.session_id.in_({n.covered_session_id for n in covered}),
               SkillRecord.outcome == "demonstrated")
    ).all()
    signed = {}
    for session_id, skill_id, participant_id, unit_id in rows:
        signed.setdefault((session_id, skill_id, unit_id), set()).add(participant_id)
    met = set()
    for need in covered:
        people = signed.get((need.covered_session_id, need.skill_id, need.unit_id), set())
        named = {p.id for p in need.named}
        if (named and named <= people) or (not named and len(people) >= need.people):
            met.add(need.id)
    return met


def people_for_need(need, session):
    """Whom the offer's link ticks for a covered need: the people it names, or for a count-only need
    up to `people` of the unit's staff who lack the skill on the session's day (a lapsed record first,
    the oldest first, then those who never demonstrated it, by name). Inactive people and people
    already booked into the session are left out."""
    booked = select(Booking.participant_id).where(Booking.session_id == session.id,
                                                  Booking.status != "cancelled")
    if need.named:
        taken = set(db.session.execute(booked).scalars())
        return [p for p in need.named if p.active and p.anonymised_at is None and p.id not in taken]
    day = to_local(session.start_at).date()
    # The latest valid-until of each person's demonstrations (NULL: one that never expires).
    demonstrations = (
        select(SkillRecord.participant_id,
               func.count().label("n"), func.count(SkillRecord.valid_until).label("dated"),
               func.max(SkillRecord.valid_until).label("until"))
        .where(SkillRecord.skill_id == need.skill_id, SkillRecord.outcome == "demonstrated")
        .group_by(SkillRecord.participant_id).subquery()
    )
    rows = db.session.execute(
        select(Participant, demonstrations.c.until)
        .outerjoin(demonstrations, demonstrations.c.participant_id == Participant.id)
        .where(Participant.unit_id == need.unit_id, Participant.active.is_(True),
               Participant.anonymised_at.is_(None), Participant.id.not_in(booked),
               # Nobody whose demonstration is valid on the day: none that never expires, none still valid.
               or_(demonstrations.c.n.is_(None),
                   and_(demonstrations.c.n == demonstrations.c.dated, demonstrations.c.until < day)))
        .order_by(demonstrations.c.until.is_(None), demonstrations.c.until, Participant.name, Participant.id)
        .limit(need.people)
    ).all()
    return [person for person, _until in rows]
