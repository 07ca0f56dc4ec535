"""Station changes noticed, not only typed: an edit to a station (or to a skill it trains), or a new
session series at it, while a network action on it is open is recorded as a change after that
action's meeting.

The learning network follows whether a station changed because of what a meeting decided. Asking the
coordinator to type the change when closing the action loses the edits nobody remembers to mention;
watching the edits themselves does not. The listener runs before each flush (so the change is written
in the edit's own transaction) and only looks for open actions when a watched column changed.
"""
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session as OrmSession

from ktc.database import utcnow
from ktc.sessions.models import Series
from ktc.skills.models import Skill
from ktc.stations.models import Station

# Station columns the network cares about (what is trained and how), by the name stored in `fields`.
_STATION_FIELDS = {"description": "description", "equipment_notes": "equipment",
                   "default_duration_minutes": "duration", "skills": "skills"}


def _history(obj, name):
    return inspect(obj).attrs[name].history


def _station_edit(station):
    """(fields, detail) of a station's watched changes, or None."""
    fields = [label for name, label in _STATION_FIELDS.items() if _history(station, name).has_changes()]
    if not fields:
        return None
    details = []
    if "duration" in fields:
        old = _history(station, "default_duration_minutes").deleted
        if old and old[0] is not None:
            details.append(f"{old[0]} → {station.default_duration_minutes} min")
    if "skills" in fields:
        history = _history(station, "skills")
        details += [f"+{s.code} {s.name}" for s in sorted(history.added or (), key=lambda s: s.code)]
        details += [f"−{s.code} {s.name}" for s in sorted(history.deleted or (), key=lambda s: s.code)]
    return fields, "; ".join(details)


def _latest_open_action(session, **owner):
    """The open action on this station or skill decided at the latest meeting already held."""
    from ktc.meetings.models import Meeting, MeetingAction

    conditions = [getattr(MeetingAction, f"{kind}_id") == value for kind, value in owner.items()]
    return session.execute(
        select(MeetingAction).join(Meeting, Meeting.id == MeetingAction.meeting_id)
        .where(*conditions, MeetingAction.owner_kind == next(iter(owner)), MeetingAction.done_at.is_(None),
               Meeting.start_at <= utcnow(), Meeting.status != "cancelled")
        .order_by(Meeting.start_at.desc(), MeetingAction.id.desc()).limit(1)
    ).scalar_one_or_none()


def _notice(session, _flush_context, _instances):
    """Before a flush: a StationChange for each watched edit of a station with an open network action."""
    from ktc.meetings.models import StationChange

    edits = []
    for obj in session.new:
        if isinstance(obj, Series) and (obj.station is not None or obj.station_id is not None):
            station = obj.station or session.get(Station, obj.station_id)
            detail = f"{obj.title + ': ' if obj.title else ''}{obj.first_date.isoformat()} ×{obj.occurrences}"
            edits.append((station, None, (["series"], detail)))
    for obj in session.dirty:
        if isinstance(obj, Station) and obj.id is not None:
            edit = _station_edit(obj)
            if edit is not None:
                edits.append((obj, None, edit))
        elif isinstance(obj, Skill) and obj.id is not None and _history(obj, "refresh_months").has_changes():
            old = _history(obj, "refresh_months").deleted
            months = lambda value: "–" if value is None else str(value)  # noqa: E731
            edits.append((None, obj, (["refresh"], f"{obj.code}: {months(old[0] if old else None)} → "
                                                   f"{months(obj.refresh_months)}")))
    if not edits:
        return
    now = utcnow()
    with session.no_autoflush:
        for station, skill, (fields, detail) in edits:
            if station is not None:
                action = _latest_open_action(session, station=station.id)
                targets = [station] if action is not None else []
            else:
                # A skill's refresh interval changes what every station that trains it signs off.
                action = _latest_open_action(session, skill=skill.id)
                targets = [] if action is None else session.execute(
                    select(Station).where(Station.skills.contains(skill), Station.active.is_(True))
                    .order_by(Station.name)).scalars().all()
            for target in targets:
                session.add(StationChange(station=target, meeting_id=action.meeting_id, action=action,
                                          description=detail[:500], changed_at=now, detected=True,
                                          fields=",".join(fields)))


def install():
    """Listen on every ORM session (once)."""
    if not event.contains(OrmSession, "before_flush", _notice):
        event.listen(OrmSession, "before_flush", _notice)
