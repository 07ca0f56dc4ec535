"""Study circles: members from any units, meetings at a workplace, attendance and completed steps.

Operations flush, never commit. Members are put on the circle's path when they join, so the
steps ticked on a meeting's roster count in their path progress.
"""
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ktc import policy
from ktc.accounts.models import User
from ktc.database import savepoint, utcnow
from ktc.errors import Conflict, PermissionDenied, ValidationError
from ktc.extensions import db
from ktc.i18n import local_today
from ktc.mail import notify
from ktc.organisations.models import Participant
from ktc.paths import operations as ops
from ktc.paths.models import CircleAttendance, CircleMeeting, PathAssignment, StepCompletion, StudyCircle

MAX_MEETING_HOURS = 12


def _check_circle(name, path, facilitator, exclude_id=None):
    if not name:
        raise ValidationError(_l("Enter a name."), field="name")
    if path is None:
        raise ValidationError(_l("Choose the learning path the circle works through."), field="path_id")
    if facilitator is not None and facilitator.role not in ("instructor", "admin"):
        raise ValidationError(_l("The facilitator must be an instructor."), field="facilitator_id")
    stmt = select(StudyCircle.id).where(func.lower(StudyCircle.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(StudyCircle.id != exclude_id)
    if db.session.execute(stmt).first() is not None:
        raise Conflict(_l("A study circle with that name already exists."), field="name")


def _flush():
    try:
        with savepoint():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("A study circle with that name already exists."), field="name") from None


def _join(circle, people, now):
    """New members go on the circle's path and are invited to the meetings still to come."""
    new = [p for p in people if p not in circle.members]
    circle.members = sorted(set(circle.members) | set(people), key=lambda p: (p.name, p.id))
    if not new:
        return
    on_path = set(db.session.execute(
        select(PathAssignment.participant_id).where(PathAssignment.path_id == circle.path_id,
                                                    PathAssignment.participant_id.in_([p.id for p in new]))
    ).scalars())
    missing = [p for p in new if p.id not in on_path]
    if missing:
        ops.assign(None, circle.path, missing, local_today(), source="circle")
    for meeting in circle.meetings:
        if meeting.status == "scheduled" and meeting.end_at > now:
            for person in new:
                notify.circle_meeting_invited(meeting, person)


def create_circle(name, path, facilitator, members=(), now=None):
    name = (name or "").strip()
    _check_circle(name, path, facilitator)
    circle = StudyCircle(name=name, path=path, facilitator=facilitator)
    db.session.add(circle)
    _flush()
    _join(circle, list(members), now or utcnow())
    db.session.flush()
    return circle


def update_circle(circle, name, facilitator, members=(), now=None):
    """Rename, change facilitator, add and remove members (removal keeps what they already did)."""
    name = (name or "").strip()
    _check_circle(name, circle.path, facilitator, exclude_id=circle.id)
    if (circle.name, circle.facilitator) != (name, facilitator):
        # Every meeting's calendar event shows both: its SEQUENCE and DTSTAMP rise for clients to take
        # it. One UPDATE that adds to the stored SEQUENCE, so a meeting changed at the same moment
        # (which locks its row, see _lock_meeting) loses no step of it.
        db.session.execute(
            update(CircleMeeting).where(CircleMeeting.circle_id == circle.id, CircleMeeting.status != "cancelled")
            .values(sequence=CircleMeeting.sequence + 1, updated_at=utcnow())
            .execution_options(synchronize_session="fetch"))
    circle.name, circle.facilitator = name, facilitator
    members = list(members)
    circle.members = [m for m in circle.members if m in members]
    _join(circle, members, now or utcnow())
    _flush()
    return circle


def members_from(actor, ids, emails_text):
    """Active, visible staff by id (the picker) and by e-mail (one per line, the fallback without JavaScript)."""
    ids = {int(i) for i in ids or ()}
    emails = {line.strip().lower() for line in (emails_text or "").replace(",", "\n").splitlines() if line.strip()}
    people = []
    if ids:
        people += db.session.execute(select(Participant).where(
            Participant.id.in_(ids), policy.participants_visible_to(actor))).scalars().all()
    if emails:
        found = db.session.execute(select(Participant).where(
            func.lower(Participant.email).in_(emails), policy.participants_visible_to(actor))).scalars().all()
        unknown = emails - {p.email.lower() for p in found}
        if unknown:
            raise ValidationError(_l("Nobody on the staff list has these e-mail addresses: %(emails)s.",
                                     emails=", ".join(sorted(unknown))), field="add_emails")
        people += found
    if len({p.id for p in people}) < len(ids):
        raise ValidationError(_l("Someone chosen is not on the staff list."), field="participant_ids")
    inactive = [p.name for p in people if not p.active or p.anonymised_at is not None]
    if inactive:
        raise ValidationError(_l("Not active on the staff list: %(names)s.", names=", ".join(inactive)),
                              field="participant_ids")
    return list({p.id: p for p in people}.values())


def facilitators():
    return db.session.execute(select(User).where(User.role == "instructor", User.active.is_(True))
                              .order_by(User.name)).scalars().all()


def circles_for(user):
    """The circles a user may see: all (admin), the ones they lead (instructor), with their people (manager)."""
    # The list shows each circle's path, facilitator, member count and meetings: loaded with the circles.
    stmt = select(StudyCircle).order_by(StudyCircle.name).options(
        joinedload(StudyCircle.path), joinedload(StudyCircle.facilitator),
        selectinload(StudyCircle.members), selectinload(StudyCircle.meetings))
    if policy.is_admin(user):
        pass
    elif policy.has_role(user, "instructor"):
        stmt = stmt.where(StudyCircle.facilitator_id == user.id)
    elif policy.has_role(user, "manager"):
        from ktc.paths.models import circle_members

        stmt = stmt.where(StudyCircle.id.in_(
            select(circle_members.c.circle_id).join(Participant, Participant.id == circle_members.c.participant_id)
            .where(Participant.unit_id.in_(policy.managed_unit_ids(user) or {-1}))))
    else:
        return []
    return db.session.execute(stmt).scalars().all()


# --- meetings ----------------------------------------------------------------------------------

def _lock_meeting(meeting):
    """Lock the meeting's row and reread it (status, sequence, attendance) before changing it.

    Without the lock two saves at once both read the state before the other's: two roster saves
    both insert the same attendance rows (the second fails on the unique constraint), and a change
    racing a cancel sends two invitations with the same SEQUENCE, or changes a cancelled meeting.
    """
    stmt = select(CircleMeeting).where(CircleMeeting.id == meeting.id).execution_options(populate_existing=True)
    if current_app.config.get("KTC_CIRCLE_MEETING_LOCK", True):  # off only in the race tests' controls
        stmt = stmt.with_for_update()
    db.session.execute(stmt).scalar_one()
    db.session.expire(meeting, ["attendance"])


def _meeting_values(circle, meeting, start_at, end_at, location, topic, step_ids):
    if start_at is None or end_at is None:
        raise ValidationError(_l("Enter the date and the times."), field="day")
    if end_at <= start_at:
        raise ValidationError(_l("The end must be after the start."), field="end")
    if (end_at - start_at).total_seconds() > MAX_MEETING_HOURS * 3600:
        raise ValidationError(_l("A meeting can last at most %(hours)s hours.", hours=MAX_MEETING_HOURS), field="end")
    location = (location or "").strip()
    if not location:
        raise ValidationError(_l("Enter where the circle meets, for example the workplace's address and room."),
                              field="location")
    ids = set(step_ids or ())
    steps = [s for s in circle.path.steps if s.id in ids and s.kind != "skill"]
    if len(steps) != len(ids):
        raise ValidationError(_l("Choose modules or circle steps of the circle's path."), field="step_ids")
    meeting.start_at, meeting.end_at, meeting.location = start_at, end_at, location
    meeting.topic, meeting.steps = (topic or "").strip(), steps


def plan_meeting(actor, circle, start_at, end_at, location, topic="", step_ids=()):
    """A new meeting; every member gets an invitation (REQUEST)."""
    if not policy.can_run_circle(actor, circle):
        raise PermissionDenied()
    meeting = CircleMeeting()
    _meeting_values(circle, meeting, start_at, end_at, location, topic, step_ids)
    meeting.circle = circle
    db.session.add(meeting)
    db.session.flush()
    for person in circle.members:
        notify.circle_meeting_invited(meeting, person)
    return meeting


def update_meeting(actor, meeting, start_at, end_at, location, topic="", step_ids=()):
    """Change a meeting; a new time or place is sent to every member as an update of the same event."""
    if not policy.can_run_circle(actor, meeting.circle):
        raise PermissionDenied()
    _lock_meeting(meeting)
    if meeting.status == "cancelled":
        raise Conflict(_l("The meeting is cancelled."))
    before = (meeting.start_at, meeting.end_at, meeting.location)
    shown = (meeting.topic, list(meeting.steps))
    _meeting_values(meeting.circle, meeting, start_at, end_at, location, topic, step_ids)
    if (meeting.start_at, meeting.end_at, meeting.location) != before or \
            (meeting.topic, list(meeting.steps)) != shown:
        # The feeds show the topic and the steps too: a client keeps an event whose SEQUENCE and
        # DTSTAMP did not move (RFC 5545, 3.8.7.4), so they rise for those as well.
        meeting.sequence += 1
        meeting.updated_at = utcnow()
    if (meeting.start_at, meeting.end_at, meeting.location) != before:
        db.session.flush()
        for person in meeting.circle.members:
            notify.circle_meeting_changed(meeting, person)
    db.session.flush()
    return meeting


def cancel_meeting(actor, meeting):
    """Cancel a meeting; every member's calendar gets a CANCEL of the event."""
    if not policy.can_run_circle(actor, meeting.circle):
        raise PermissionDenied()
    _lock_meeting(meeting)
    if meeting.status == "cancelled":
        return meeting
    meeting.status = "cancelled"
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    db.session.flush()
    for person in meeting.circle.members:
        notify.circle_meeting_cancelled(meeting, person)
    return meeting


@dataclass
class RosterRow:
    participant: Participant
    assignment: object
    attended: bool
    done: dict  # step id -> bool


def roster(meeting, today=None):
    """One row per member: attendance at this meeting and, per step of the meeting, done or not."""
    circle = meeting.circle
    members = list(circle.members)
    assignments = {a.participant_id: a for a in db.session.execute(
        select(PathAssignment).where(PathAssignment.path_id == circle.path_id,
                                     PathAssignment.participant_id.in_([m.id for m in members] or [-1]))
    ).scalars()}
    done = {(aid, sid) for aid, sid in db.session.execute(
        select(StepCompletion.assignment_id, StepCompletion.step_id)
        .where(StepCompletion.assignment_id.in_([a.id for a in assignments.values()] or [-1]))
    )}
    attended = {a.participant_id: a.attended for a in meeting.attendance}
    rows = []
    for m in members:
        a = assignments.get(m.id)
        rows.append(RosterRow(m, a, attended.get(m.id, False),
                              {s.id: a is not None and (a.id, s.id) in done for s in meeting.steps}))
    return rows


def record_meeting(actor, meeting, attended_ids, done_pairs, today=None):
    """Save the roster grid in one go: who attended, and which of the meeting's steps each member has done.

    A step ticked for someone marked absent is refused (they were not there to do it); unticking a
    step removes its completion. Steps are saved in path order, so a module and the circle meeting
    that requires it can be ticked together.
    """
    if not policy.can_run_circle(actor, meeting.circle):
        raise PermissionDenied()
    _lock_meeting(meeting)
    if meeting.status == "cancelled":
        raise Conflict(_l("The meeting is cancelled."))
    if meeting.start_at > utcnow():
        raise Conflict(_l("Attendance can be recorded once the meeting has started."))
    today = today or local_today()
    rows = roster(meeting, today)
    attended_ids = set(attended_ids)
    done_pairs = set(done_pairs)
    member_ids = {r.participant.id for r in rows}
    if any(pid not in member_ids for pid in attended_ids) or any(pid not in member_ids for pid, _ in done_pairs):
        raise ValidationError(_l("Only members of the circle can be recorded."))
    absent_done = sorted({r.participant.name for r in rows
                          if r.participant.id not in attended_ids and any((r.participant.id, sid) in done_pairs
                                                                          for sid in r.done)})
    if absent_done:
        raise ValidationError(_l("Steps are ticked for people not marked present: %(names)s.",
                                 names=", ".join(absent_done)))
    existing = {a.participant_id: a for a in meeting.attendance}
    for r in rows:
        pid = r.participant.id
        row = existing.get(pid)
        if row is None:
            row = CircleAttendance(meeting=meeting, participant=r.participant)
            db.session.add(row)
        row.attended, row.recorded_by_id, row.recorded_at = pid in attended_ids, actor.id, utcnow()
        assignment = r.assignment
        if assignment is None and any((pid, s.id) in done_pairs for s in meeting.steps):
            ops.assign(None, meeting.circle.path, [r.participant], today, source="circle")
            assignment = db.session.execute(select(PathAssignment).where(
                PathAssignment.path_id == meeting.circle.path_id, PathAssignment.participant_id == pid)).scalar_one()
        for step in meeting.steps:
            if (pid, step.id) in done_pairs and not r.done[step.id]:
                ops.complete_step(actor, assignment, step, on=today, today=today, authorised=True)
            elif (pid, step.id) not in done_pairs and r.done[step.id]:
                ops.undo_completion(None, assignment, step)
    db.session.flush()
    return rows


def upcoming_meetings_for(participant, now=None):
    """The member's coming meetings (cancelled ones too, so they see it), soonest first."""
    from ktc.paths.models import circle_members

    now = now or utcnow()
    return db.session.execute(
        select(CircleMeeting).join(circle_members, circle_members.c.circle_id == CircleMeeting.circle_id)
        .where(circle_members.c.participant_id == participant.id, CircleMeeting.end_at > now)
        .order_by(CircleMeeting.start_at)
    ).scalars().all()
