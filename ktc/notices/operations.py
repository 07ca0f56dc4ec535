"""Tell managers what happens to the people of their units: a team event per person and one e-mail.

An *event* is one change (a session moved, a session cancelled, a promotion, a session started
with people still waiting, a no-show) named by its `cause` (kind, object, moment). For each
manager of the units of the people it touches, it becomes one row per person in `team_events`
(the home page's list) and ONE e-mail listing that manager's people, in the manager's language.
Both are written in the caller's transaction; the cause makes a repeat (a job run twice, a
request retried) add nothing.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ktc.accounts.models import User, unit_managers
from ktc.database import savepoint, utcnow
from ktc.extensions import db
from ktc.i18n import fmt_datetime, known_locale
from ktc.notices.models import TeamEvent
from ktc.organisations.models import Participant
from ktc.sessions.models import Session
from ktc.stations.models import Station
from ktc.urls import external_url

# How many events the home page lists.
HOME_LIMIT = 8


def _subject(kind, context):
    subjects = {
        "session_moved": lambda: _("Your staff: %(name)s has moved to %(date)s", **context),
        "session_cancelled": lambda: _("Your staff: %(name)s, %(date)s is cancelled", **context),
        "promoted": lambda: _("Your staff got a seat: %(name)s, %(date)s", **context),
        "left_waiting": lambda: _("Your staff did not get a seat: %(name)s, %(date)s", **context),
        "no_show": lambda: _("Did not come: %(people)s, %(name)s, %(date)s", **context),
        "deactivated": lambda: _("No longer on the staff list: %(people)s, booking cancelled: %(name)s, %(date)s",
                                 **context),
    }
    return subjects[kind]()


def _intro(kind):
    intros = {
        "session_moved": lambda: _("This session has moved to a new time or place. People from your units "
                                   "who are booked or waiting:"),
        "session_cancelled": lambda: _("This session is cancelled. The bookings of these people from your units "
                                       "are cancelled with it:"),
        "promoted": lambda: _("A seat became free: this person from your units has moved up from the waiting "
                              "list and is now booked:"),
        "left_waiting": lambda: _("The session has started and these people from your units were still on the "
                                  "waiting list, so they did not get a seat. You may want to book them into "
                                  "another session:"),
        "no_show": lambda: _("The instructor marked this person from your units as not present (no-show); "
                             "no skills are signed off for them from this session:"),
        "deactivated": lambda: _("Your organisation's staff register has deactivated this person, so their "
                                 "coming booking is cancelled and the seat given to the next in line:"),
    }
    return intros[kind]()


def event_label(kind):
    """What happened, in a few words (the home page's list)."""
    labels = {
        "session_moved": lambda: _("Session moved"),
        "session_cancelled": lambda: _("Session cancelled"),
        "promoted": lambda: _("Got a seat from the waiting list"),
        "left_waiting": lambda: _("Still on the waiting list when the session started"),
        "no_show": lambda: _("Did not come (no-show)"),
        "skills_expiring": lambda: _("Skills to refresh (this period's digest)"),
        "deactivated": lambda: _("Deactivated by the staff register; booking cancelled"),
    }
    return labels[kind]()


def managers_by_unit(unit_ids):
    """{manager: unit ids they manage among `unit_ids`} for active managers, in id order."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        select(User, unit_managers.c.unit_id)
        .join(unit_managers, unit_managers.c.user_id == User.id)
        .where(unit_managers.c.unit_id.in_(sorted(unit_ids)), User.active.is_(True), User.role == "manager")
        .order_by(User.id)
    ).all()
    managers = {}
    for user, unit_id in rows:
        managers.setdefault(user, set()).add(unit_id)
    return managers


def record_events(manager, kind, cause, people, session=None):
    """Add this manager's rows for one event: `people` is a list of (participant, booking or None).

    Returns the rows added (none when the event was recorded before). The rows go in a savepoint:
    if another transaction recorded the same event meanwhile, the unique constraint refuses
    ours and only the savepoint is rolled back.
    """
    seen = set(db.session.execute(
        select(TeamEvent.participant_id).where(TeamEvent.user_id == manager.id, TeamEvent.cause == cause)
    ).scalars())
    rows = [
        TeamEvent(user_id=manager.id, kind=kind, cause=cause, participant_id=participant.id,
                  session_id=session.id if session is not None else None,
                  booking_id=booking.id if booking is not None else None)
        for participant, booking in people if participant.id not in seen
    ]
    if not rows:
        return []
    try:
        with savepoint():
            db.session.add_all(rows)
    except IntegrityError:
        return []
    return rows


def tell_managers(kind, cause, session, bookings, reason=""):
    """Record the event for the managers of the people in `bookings` and queue one e-mail to each.

    Managers of other units hear nothing. Returns the outbox messages queued.
    """
    from ktc.mail.notify import queue_email

    bookings = [b for b in bookings if b is not None]
    if not bookings:
        return []
    messages = []
    for manager, unit_ids in managers_by_unit({b.participant.unit_id for b in bookings}).items():
        theirs = sorted((b for b in bookings if b.participant.unit_id in unit_ids),
                        key=lambda b: (b.participant.name.lower(), b.id))
        record_events(manager, kind, cause, [(b.participant, b) for b in theirs], session)
        message = queue_email(f"team_{kind}", f"{cause}:m{manager.id}", manager.email, known_locale(manager.locale),
                              "notices/emails/team_notice", _subject_of(kind),
                              _context(kind, manager, session, theirs, reason))
        if message is not None:
            messages.append(message)
    return messages


def _subject_of(kind):
    def subject(context):
        return _subject(kind, {
            "name": context["summary"], "date": fmt_datetime(context["session"].start_at, context["tz"], "short"),
            "people": ", ".join(b.participant.name for b in context["bookings"]),
        })

    return subject


def _context(kind, manager, session, bookings, reason):
    """What one manager's e-mail shows (rendered in the manager's own language)."""
    # The session block (when, where, skills) is the one the participants' e-mails show.
    from ktc.mail.notify import _session_context

    def context():
        return {
            **_session_context(session), "kind": kind, "manager": manager, "intro": _intro(kind),
            "bookings": bookings, "reason": reason,
            "team_url": external_url("bookings.team_bookings_page"), "home_url": external_url("main.index"),
        }

    return context


# --- the home page's list ---------------------------------------------------------------------

@dataclass
class EventGroup:
    """One event as a manager sees it: what, when, which session, which of their people."""

    cause: str
    kind: str
    created_at: object
    first_id: int
    session: Session | None
    people: list
    unread: bool

    @property
    def label(self):
        return event_label(self.kind)


def _visible(user):
    """Only the user's own events about people who are still in a unit they manage."""
    managed = select(unit_managers.c.unit_id).where(unit_managers.c.user_id == user.id)
    return (
        TeamEvent.user_id == user.id,
        TeamEvent.participant_id.in_(select(Participant.id).where(Participant.unit_id.in_(managed))),
    )


def latest_events(user, limit=HOME_LIMIT):
    """(the latest `limit` events for this manager, newest first; how many events are unread;
    the highest row id they could see, which "mark all as read" marks up to)."""
    newest = func.max(TeamEvent.created_at)
    causes = db.session.execute(
        select(TeamEvent.cause).where(*_visible(user)).group_by(TeamEvent.cause)
        .order_by(newest.desc(), TeamEvent.cause).limit(limit)
    ).scalars().all()
    unread, up_to = db.session.execute(
        select(func.count(func.distinct(TeamEvent.cause)), func.max(TeamEvent.id))
        .where(*_visible(user), TeamEvent.read_at.is_(None))
    ).one()
    if not causes:
        return [], unread, up_to
    rows = db.session.execute(
        select(TeamEvent).where(*_visible(user), TeamEvent.cause.in_(causes))
        .options(selectinload(TeamEvent.participant).selectinload(Participant.unit),
                 selectinload(TeamEvent.session).selectinload(Session.station).selectinload(Station.centre))
        .order_by(TeamEvent.id)
    ).scalars().all()
    groups = {}
    for row in rows:
        group = groups.get(row.cause)
        if group is None:
            group = groups[row.cause] = EventGroup(row.cause, row.kind, row.created_at, row.id, row.session, [], False)
        group.created_at = max(group.created_at, row.created_at)
        group.unread = group.unread or row.read_at is None
        group.people.append(row.participant)
    for group in groups.values():
        group.people.sort(key=lambda p: (p.name.lower(), p.id))
    ordered = sorted(groups.values(), key=lambda g: (g.created_at, g.first_id), reverse=True)
    return ordered, unread, up_to


def mark_all_read(user, now=None, up_to=None):
    """Mark this user's unread events as read, up to row id `up_to` (the last one their page showed:
    an event that arrived after it stays unread); returns how many rows changed.

    A conditional UPDATE (read_at IS NULL): two clicks at once mark each row once.
    """
    now = now or utcnow()
    conditions = [TeamEvent.user_id == user.id, TeamEvent.read_at.is_(None)]
    if up_to is not None:
        conditions.append(TeamEvent.id <= up_to)
    result = db.session.execute(
        update(TeamEvent).where(*conditions).values(read_at=now).execution_options(synchronize_session=False)
    )
    return result.rowcount
