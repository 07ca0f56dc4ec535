"""Learning paths: define paths and steps, assign people, and work out their progress.

Operations flush, never commit. Progress is computed, not stored: a skill step is done while the
person's skill record is valid (ktc.records.status), a module or circle step when it is marked done.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ktc import policy
from ktc.database import among, savepoint
from ktc.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.i18n import local_today, to_local
from ktc.organisations import csvimport
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.paths.models import STEP_KINDS, LearningPath, PathAssignment, PathStep, StepCompletion
from ktc.records.models import SkillRecord
from ktc.records.status import cell_status, is_valid_today
from ktc.sessions.models import Session
from ktc.skills.models import Profession, Skill

MAX_DUE_DAYS = 3650
DONE, DUE, LATE = "done", "due", "late"


def _clean(text):
    return (text or "").strip()


# --- paths and steps ---------------------------------------------------------------------------

def _check_path_name(name, exclude_id=None):
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    stmt = select(LearningPath.id).where(func.lower(LearningPath.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(LearningPath.id != exclude_id)
    if db.session.execute(stmt).first() is not None:
        raise Conflict(_l("A learning path with that name already exists."), field="name")


def _flush_path():
    try:
        with savepoint():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("A learning path with that name already exists."), field="name") from None


def create_path(name, description="", profession=None, unit_kind="", auto_assign=False, active=True):
    """A new path (without steps yet)."""
    name = _clean(name)
    _check_path_name(name)
    path = LearningPath(name=name, description=_clean(description), profession=profession,
                        unit_kind=_clean(unit_kind), auto_assign=bool(auto_assign), active=bool(active))
    db.session.add(path)
    _flush_path()
    return path


def update_path(path, name, description="", profession=None, unit_kind="", auto_assign=False, active=True):
    name = _clean(name)
    _check_path_name(name, exclude_id=path.id)
    path.name, path.description, path.profession = name, _clean(description), profession
    path.unit_kind, path.auto_assign, path.active = _clean(unit_kind), bool(auto_assign), bool(active)
    _flush_path()
    return path


def list_paths():
    return db.session.execute(
        select(LearningPath).options(selectinload(LearningPath.steps), joinedload(LearningPath.profession))
        .order_by(LearningPath.name)
    ).unique().scalars().all()


def _check_no_cycle(step, prerequisites):
    """Refuse prerequisites that lead back to the step itself (directly or through other steps)."""
    seen, stack = set(), list(prerequisites)
    while stack:
        current = stack.pop()
        if current is step or (step.id is not None and current.id == step.id):
            raise ValidationError(
                _l("The prerequisites would go round in a circle: “%(title)s” cannot depend on itself, "
                   "directly or through other steps.", title=step.title), field="prerequisite_ids")
        if current.id in seen:
            continue
        seen.add(current.id)
        stack.extend(current.prerequisites)


def _step_values(path, step, kind, title, skill, url, material, due_days, prerequisite_ids):
    if kind not in STEP_KINDS:
        raise ValidationError(_l("Choose what kind of step it is."), field="kind")
    if kind == "skill" and skill is None:
        raise ValidationError(_l("Choose the skill trained at a station."), field="skill_id")
    title = _clean(title) or (skill.name if kind == "skill" and skill is not None else "")
    if not title:
        raise ValidationError(_l("Enter a title."), field="title")
    url = _clean(url)
    if kind == "module" and not url:
        raise ValidationError(_l("Enter the link to the module (e-learning or film)."), field="url")
    if url and not url.startswith(("https://", "http://")):
        raise ValidationError(_l("The link must start with https:// or http://."), field="url")
    if due_days is None or not 1 <= due_days <= MAX_DUE_DAYS:
        raise ValidationError(
            _l("Give the due time as 1 to %(max)s days after the start on the path.", max=MAX_DUE_DAYS),
            field="due_days")
    ids = set(prerequisite_ids or ())
    prerequisites = [s for s in path.steps if s.id in ids]
    if len(prerequisites) != len(ids):
        raise ValidationError(_l("A prerequisite must be another step of the same path."), field="prerequisite_ids")
    step.kind, step.title, step.url, step.material = kind, title, url, _clean(material)
    step.skill = skill if kind == "skill" else None
    step.due_days = due_days
    _check_no_cycle(step, prerequisites)
    step.prerequisites = prerequisites
    return step


def _lock_steps(path):
    """Lock the path's row, then read its steps as they are now (not as this session loaded them).

    Adding, moving and removing steps renumber positions read a moment before: two such requests at
    once would each write an order computed from the other's stale one (duplicate positions, a move
    lost). The row lock makes them take turns; SQLite's BEGIN IMMEDIATE already does.
    """
    if current_app.config.get("KTC_PATH_STEP_LOCK", True):  # off only in the race test's control
        db.session.execute(select(LearningPath.id).where(LearningPath.id == path.id).with_for_update())
    db.session.execute(select(PathStep).where(PathStep.path_id == path.id)
                       .execution_options(populate_existing=True)).scalars().all()
    db.session.expire(path, ["steps"])
    return list(path.steps)


def add_step(path, kind, title="", skill=None, url="", material="", due_days=90, prerequisite_ids=()):
    """Append a step to the path."""
    position = max((s.position for s in _lock_steps(path)), default=0) + 1
    step = PathStep(position=position)
    _step_values(path, step, kind, title, skill, url, material, due_days, prerequisite_ids)
    path.steps.append(step)
    db.session.flush()
    return step


def update_step(step, kind, title="", skill=None, url="", material="", due_days=90, prerequisite_ids=()):
    with db.session.no_autoflush:
        _step_values(step.path, step, kind, title, skill, url, material, due_days, prerequisite_ids)
    db.session.flush()
    return step


def move_step(step, offset):
    """Move a step one place up (-1) or down (+1) in its path."""
    steps = _lock_steps(step.path)
    index = steps.index(step)
    target = index + offset
    if 0 <= target < len(steps):
        steps[index], steps[target] = steps[target], steps[index]
    for position, s in enumerate(steps, start=1):
        s.position = position
    db.session.flush()
    db.session.expire(step.path, ["steps"])


def delete_step(step):
    """Remove a step; it disappears from every person's progress and from other steps' prerequisites."""
    path = step.path
    _lock_steps(path)
    path.steps.remove(step)
    db.session.delete(step)
    for position, s in enumerate(path.steps, start=1):
        s.position = position
    db.session.flush()


# --- assignment ----------------------------------------------------------------------------

@dataclass
class AssignResult:
    created: list = field(default_factory=list)
    already: list = field(default_factory=list)


def assign(actor, path, participants, start_date, source="manual"):
    """Put people on a path from a start date; someone already on it keeps their first start date."""
    if not path.active:
        raise ValidationError(_l("The learning path is not in use."), field="path_id")
    if not isinstance(start_date, date):
        raise ValidationError(_l("Enter the start date."), field="start_date")
    for person in participants:
        if actor is not None and not policy.can_manage_participant(actor, person):
            raise PermissionDenied()
    existing = set()
    ids = [p.id for p in participants]
    if ids:
        existing = set(db.session.execute(
            select(PathAssignment.participant_id)
            .where(PathAssignment.path_id == path.id, PathAssignment.participant_id.in_(ids))
        ).scalars())
    result = AssignResult()
    for person in participants:
        if person.id in existing:
            result.already.append(person)
            continue
        existing.add(person.id)
        db.session.add(PathAssignment(path=path, participant=person, start_date=start_date, source=source,
                                      assigned_by_id=getattr(actor, "id", None)))
        result.created.append(person)
    try:
        with savepoint():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("Someone was put on the path at the same time. Please try again.")) from None
    return result


def automatic_paths(participant):
    """The active automatic paths that fit the person's profession and unit."""
    if participant.profession_id is None:
        return []
    paths = db.session.execute(
        select(LearningPath).where(LearningPath.active.is_(True), LearningPath.auto_assign.is_(True),
                                   LearningPath.profession_id == participant.profession_id)
        .order_by(LearningPath.name)
    ).scalars().all()
    unit_name = participant.unit.name.lower() if participant.unit is not None else ""
    return [p for p in paths if not p.unit_kind or p.unit_kind.lower() in unit_name]


def assign_automatically(participant, start_date=None):
    """Called when a person is added: put them on every automatic path that fits, starting today."""
    start = start_date or local_today()
    for path in automatic_paths(participant):
        assign(None, path, [participant], start, source="auto")


def unassign(actor, assignment):
    if not policy.can_manage_participant(actor, assignment.participant):
        raise NotFound()
    db.session.delete(assignment)
    db.session.flush()


def get_assignment_for(actor, assignment_id):
    assignment = db.session.get(PathAssignment, assignment_id)
    if assignment is None or not policy.can_view_participant(actor, assignment.participant):
        raise NotFound()
    return assignment


ASSIGNMENT_IMPORT = "path_assignments"
ASSIGNMENT_COLUMNS = {
    "email": ("email", "e-post", "e-mail", "epost", "mejl"),
    "path": ("path", "lärväg", "larvag"),
    "start_date": ("start_date", "start", "startdatum"),
}
ASSIGNMENT_REQUIRED = ("email", "path")


def preview_assignment_import(actor, content, today=None):
    """Check every row of an assignments CSV (e-mail, path, start date); nothing is written."""
    preview = csvimport.parse_rows(content, ASSIGNMENT_COLUMNS, ASSIGNMENT_REQUIRED)
    if preview.file_errors:
        return preview
    emails = [_clean(r.values["email"]).lower() for r in preview.rows]
    people = csvimport.existing_by(Participant, Participant.email, emails)
    paths = {p.name.lower(): p for p in db.session.execute(select(LearningPath)).scalars()}
    today = today or local_today()
    seen = {}
    for row in preview.rows:
        v = {k: _clean(val) for k, val in row.values.items()}
        email = v["email"].lower()
        person = people.get(email)
        if not email:
            row.errors.append(_l("E-mail is missing."))
        elif person is None or person.anonymised_at is not None:
            row.errors.append(_l("Nobody on the staff list has the e-mail address “%(email)s”.", email=v["email"]))
            person = None
        elif actor is not None and not policy.can_manage_participant(actor, person):
            row.errors.append(_l("The e-mail address belongs to someone in a unit you do not manage."))
            person = None
        path = paths.get(v["path"].lower()) if v["path"] else None
        if not v["path"]:
            row.errors.append(_l("The learning path is missing."))
        elif path is None:
            row.errors.append(_l("Unknown learning path “%(name)s”.", name=v["path"]))
        elif not path.active:
            row.errors.append(_l("The learning path “%(name)s” is not in use.", name=path.name))
        start = today
        if v["start_date"]:
            try:
                start = date.fromisoformat(v["start_date"])
            except ValueError:
                row.errors.append(_l("Write the start date as YYYY-MM-DD, for example 2026-09-01."))
        key = (email, v["path"].lower())
        if key in seen:
            row.errors.append(_l("The same person and path are also on line %(line)s of the file.", line=seen[key]))
        else:
            seen[key] = row.line
        row.resolved = {"participant": person, "path": path, "start_date": start}
    return preview


def import_assignments(actor, content):
    """Assign every row of the CSV, or nothing: raises ImportFailed if any row is bad."""
    preview = preview_assignment_import(actor, content)
    preview.raise_unless_ok()
    result = csvimport_result()
    groups = {}  # one assign() per path and start date, not one per row
    for row in preview.rows:
        r = row.resolved
        groups.setdefault((r["path"].id, r["start_date"]), (r["path"], r["start_date"], []))[2].append(r["participant"])
    for path, start_date, people in groups.values():
        done = assign(actor, path, people, start_date, source="csv")
        result.created += len(done.created)
        result.updated += len(done.already)
    return result


def csvimport_result():
    return csvimport.ImportResult()


# --- completion of module and circle steps ---------------------------------------------------

def complete_step(actor, assignment, step, on=None, today=None, authorised=False):
    """Mark a module or circle step done for one person (its prerequisites must be done first).

    `authorised`: the caller has checked the actor's right another way (a circle's facilitator).
    """
    if step.path_id != assignment.path_id:
        raise NotFound()
    if actor is not None and not authorised and not policy.can_complete_path_step(actor, assignment, step):
        raise PermissionDenied()
    if step.kind == "skill":
        raise ValidationError(_l("A station skill is done when it is signed off at a session."))
    progress = progress_for([assignment], today=today)[0]
    missing = [s.step.title for s in progress.steps if s.step in step.prerequisites and s.status != DONE]
    if missing:
        raise Conflict(_l("Complete these steps first: %(steps)s.", steps=", ".join(missing)))
    existing = db.session.execute(
        select(StepCompletion).where(StepCompletion.assignment_id == assignment.id, StepCompletion.step_id == step.id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    completion = StepCompletion(assignment=assignment, step=step, completed_on=on or today or local_today(),
                                recorded_by_id=getattr(actor, "id", None))
    db.session.add(completion)
    try:
        with savepoint():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("The step was marked done at the same time. Please reload the page.")) from None
    return completion


def undo_completion(actor, assignment, step):
    if actor is not None and not policy.can_manage_participant(actor, assignment.participant):
        raise PermissionDenied()
    for completion in list(assignment.completions):
        if completion.step_id == step.id:
            assignment.completions.remove(completion)
    db.session.flush()


# --- progress ------------------------------------------------------------------------------

@dataclass
class StepProgress:
    step: PathStep
    status: str
    due_date: date
    done_on: date | None = None
    waiting_for: list = field(default_factory=list)  # prerequisites not done yet


@dataclass
class PathProgress:
    assignment: PathAssignment
    steps: list

    @property
    def total(self):
        return len(self.steps)

    # Worked out once: the team page sorts by them and shows them for hundreds of rows.
    @cached_property
    def done_count(self):
        return sum(1 for s in self.steps if s.status == DONE)

    @cached_property
    def late_count(self):
        return sum(1 for s in self.steps if s.status == LATE)

    @property
    def complete(self):
        return bool(self.steps) and self.done_count == self.total

    @property
    def completed_on(self):
        if not self.complete:
            return None
        return max(s.done_on for s in self.steps)

    @cached_property
    def next_step(self):
        """The open step due first (late ones included), preferring steps whose prerequisites are done."""
        open_steps = [s for s in self.steps if s.status != DONE]
        if not open_steps:
            return None
        return min(open_steps, key=lambda s: (bool(s.waiting_for), s.due_date, s.step.position))


def step_status(done_on, due_date, today):
    """done, due (up to and including the due date) or late (from the day after)."""
    if done_on is not None:
        return DONE
    return LATE if today > due_date else DUE


def _assignments(*conditions):
    return db.session.execute(
        select(PathAssignment)
        .join(Participant, PathAssignment.participant_id == Participant.id)
        .where(*conditions)
        .options(
            joinedload(PathAssignment.participant).joinedload(Participant.unit).joinedload(Unit.organisation),
            joinedload(PathAssignment.path).selectinload(LearningPath.steps).selectinload(PathStep.prerequisites),
        )
        .order_by(Participant.name, PathAssignment.id)
    ).unique().scalars().all()


def progress_for(assignments, today=None):
    """Progress of each assignment, in a fixed number of queries whatever their number."""
    today = today or local_today()
    if not assignments:
        return []
    ids = [a.id for a in assignments]
    completions = {
        (aid, sid): on for aid, sid, on in db.session.execute(
            select(StepCompletion.assignment_id, StepCompletion.step_id, StepCompletion.completed_on)
            .where(among(StepCompletion.assignment_id, ids))
        )
    }
    skill_ids = {s.skill_id for a in assignments for s in a.path.steps if s.kind == "skill"}
    person_ids = {a.participant_id for a in assignments}
    # The latest demonstration decides a skill step (ktc.records.status): the database picks it, one row
    # per person and skill, instead of sending every record for Python to go through.
    skill_done = {}
    if skill_ids:
        latest = (
            select(SkillRecord.participant_id, SkillRecord.skill_id, SkillRecord.valid_until, Session.start_at,
                   func.row_number().over(
                       partition_by=(SkillRecord.participant_id, SkillRecord.skill_id),
                       order_by=(Session.start_at.desc(), SkillRecord.signed_at.desc(), SkillRecord.id.desc()),
                   ).label("newest"))
            .join(Session, SkillRecord.session_id == Session.id)
            .where(among(SkillRecord.participant_id, person_ids), SkillRecord.skill_id.in_(skill_ids),
                   SkillRecord.outcome == "demonstrated")
            .subquery()
        )
        for pid, sid, valid_until, start_at in db.session.execute(
            select(latest.c.participant_id, latest.c.skill_id, latest.c.valid_until, latest.c.start_at)
            .where(latest.c.newest == 1)
        ):
            if is_valid_today(cell_status([("demonstrated", valid_until)], today, 0)[0]):
                skill_done[(pid, sid)] = to_local(start_at).date()
    # Per path once (a team is mostly on the same few paths): its steps and their prerequisites' ids.
    plans = {}
    for a in assignments:
        if a.path_id not in plans:
            plans[a.path_id] = [(step, [p.id for p in step.prerequisites], step.prerequisites)
                                for step in a.path.steps]
    result = []
    for a in assignments:
        done = {}
        plan = plans[a.path_id]
        for step, _ids, _prereqs in plan:
            if step.kind == "skill":
                if (a.participant_id, step.skill_id) in skill_done:
                    done[step.id] = skill_done[(a.participant_id, step.skill_id)]
            elif (a.id, step.id) in completions:
                done[step.id] = completions[(a.id, step.id)]
        steps = []
        for step, ids, prereqs in plan:
            due_date = a.start_date + timedelta(days=step.due_days)
            waiting = [p for p, pid in zip(prereqs, ids) if pid not in done] if ids else []
            steps.append(StepProgress(step, step_status(done.get(step.id), due_date, today), due_date,
                                      done.get(step.id), waiting))
        result.append(PathProgress(a, steps))
    return result


def person_progress(participant, today=None):
    return progress_for(_assignments(PathAssignment.participant_id == participant.id), today)


def team_progress(unit_ids, today=None):
    """Every active person's paths in the units, the people who are behind first."""
    rows = progress_for(_assignments(Participant.unit_id.in_(unit_ids or {-1}), Participant.active.is_(True)), today)
    return sorted(rows, key=lambda p: (-p.late_count, p.complete, p.assignment.participant.name))


@dataclass
class LateStep:
    participant: Participant
    path: LearningPath
    step: PathStep
    due_date: date
    days_late: int


def late_steps(unit_ids, today=None):
    """Every late step of the active people in the units, latest due first within a person.

    Built on team_progress, so it takes the same fixed number of queries whatever the number of people.
    """
    today = today or local_today()
    late = []
    for progress in team_progress(unit_ids, today):
        a = progress.assignment
        late.extend(LateStep(a.participant, a.path, s.step, s.due_date, (today - s.due_date).days)
                    for s in progress.steps if s.status == LATE)
    return sorted(late, key=lambda s: (s.participant.unit.name, s.participant.name, s.participant.id,
                                       s.path.name, s.due_date, s.step.position))


@dataclass
class OrganisationFigures:
    organisation: Organisation
    path: LearningPath
    people: int = 0
    complete: int = 0
    behind: int = 0


def organisation_overview(today=None):
    """Per organisation and path: people on it, people who completed it, people with late steps."""
    figures = {}
    for p in progress_for(_assignments(Participant.active.is_(True)), today):
        org = p.assignment.participant.unit.organisation
        key = (org.name, p.assignment.path.name)
        row = figures.setdefault(key, OrganisationFigures(org, p.assignment.path))
        row.people += 1
        row.complete += p.complete
        row.behind += p.late_count > 0
    return [figures[k] for k in sorted(figures)]


def visible_units(actor):
    """The units whose path progress the actor follows: every unit for admins, their own for managers."""
    stmt = select(Unit).join(Unit.organisation).options(joinedload(Unit.organisation))
    if not policy.is_admin(actor):
        stmt = stmt.where(Unit.id.in_(policy.managed_unit_ids(actor) or {-1}))
    return db.session.execute(stmt.order_by(Organisation.name, Unit.name)).scalars().all()


def skills_for_steps():
    return db.session.execute(select(Skill).where(Skill.active.is_(True)).order_by(Skill.code)).scalars().all()


# --- the learning network's view ------------------------------------------------------------------

@dataclass
class NetworkPathFigures:
    """One group (an organisation or a profession) on one path, as the learning network sees it.

    Small groups identify people: a group of fewer than `k` people shows no figures, and the time to
    complete is shown only when at least `k` people completed (the network's own k, MIN_RESPONSES).
    """

    group: str
    path: str
    k: int
    people: int = 0
    complete: int = 0
    days: list = field(default_factory=list, repr=False)

    @property
    def suppressed(self):
        return self.people < self.k

    @property
    def completion_percent(self):
        return None if self.suppressed else 100 * self.complete / self.people

    @property
    def median_days(self):
        """The median number of days from the start on the path to its last step done."""
        if self.suppressed or len(self.days) < self.k:
            return None
        days = sorted(self.days)
        middle = len(days) // 2
        return days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2


def network_path_figures(today=None):
    """Path completion and time to complete by organisation and by profession, small groups suppressed."""
    from ktc.network.operations import MIN_RESPONSES

    rows = progress_for(_assignments(Participant.active.is_(True), Participant.anonymised_at.is_(None)), today)
    professions = dict(db.session.execute(select(Profession.id, Profession.name)).all())
    groups = {"organisation": {}, "profession": {}}
    for p in rows:
        person = p.assignment.participant
        for kind, name in (("organisation", person.unit.organisation.name),
                           ("profession", professions.get(person.profession_id))):
            if name is None:
                continue
            key = (p.assignment.path.name, name)
            figures = groups[kind].setdefault(key, NetworkPathFigures(name, p.assignment.path.name, MIN_RESPONSES))
            figures.people += 1
            if p.complete:
                figures.complete += 1
                figures.days.append(max(0, (p.completed_on - p.assignment.start_date).days))
    return {kind: [found[key] for key in sorted(found)] for kind, found in groups.items()}
