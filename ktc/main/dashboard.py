"""The KTC staff's home page: what needs someone today, in a fixed number of queries.

Each part is one query (with its eager loads) whatever the number of sessions, people or messages,
so the page stays fast at county scale (tests/bench/test_query_counts.py holds it to that).
"""
from dataclasses import dataclass, field
from datetime import time, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ktc.accounts.models import User
from ktc.bookings.models import Booking
from ktc.bookings.seats import release_at
from ktc.extensions import db
from ktc.i18n import local_today
from ktc.mail.models import OutboxMessage
from ktc.organisations.models import Participant
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session, session_instructors
from ktc.sessions.operations import local_to_utc
from ktc.skills.models import Skill
from ktc.stations.models import Station

# A session is at risk when its held seats are released, or it starts, within this many days.
RISK_DAYS = 7
# Sessions without an instructor are looked for this far ahead.
STAFFING_DAYS = 14
# Lists are cut here (the sessions list has the rest).
LIST_LIMIT = 30

SIDE_SHORT = "side_short"
NO_INSTRUCTOR = "no_instructor"
UNDER_BOOKED = "under_booked"


@dataclass
class AtRisk:
    session: object
    reasons: list = field(default_factory=list)


@dataclass
class Dashboard:
    today: object
    today_sessions: list
    at_risk: list
    at_risk_more: int
    waiting: list  # (session, count)
    waiting_total: int
    outbox_failed: int
    expiring: list  # (skill, people)
    window_days: int


def _sessions(stmt):
    """Sessions with station and centre joined, and their instructors in one more statement.

    The instructors are read by the sessions' ids, and always (a select-in load would skip the
    statement when the list is empty, so the count would vary). A joined load of the instructors
    is what it replaced: SQLite built the whole instructors-by-session join for it, every time.
    """
    sessions = db.session.execute(
        stmt.options(joinedload(Session.station).joinedload(Station.centre))
    ).scalars().all()
    rows = db.session.execute(
        select(session_instructors.c.session_id, User)
        .join(User, User.id == session_instructors.c.user_id)
        .where(session_instructors.c.session_id.in_([s.id for s in sessions] or [0]))
        .order_by(User.name, User.id)
    ).all()
    by_session = {}
    for session_id, user in rows:
        by_session.setdefault(session_id, []).append(user)
    for session in sessions:
        set_committed_value(session, "instructors", by_session.get(session.id, []))
    return sessions


def risk_reasons(session, now):
    """Why a coming session needs a coordinator's attention (empty when it does not)."""
    reasons = []
    held = session.min_per_side
    if held and release_at(session) <= now + timedelta(days=RISK_DAYS) and (
            session.seats_municipal < held or session.seats_regional < held):
        reasons.append(SIDE_SHORT)
    if not session.instructors:
        reasons.append(NO_INSTRUCTOR)
    if session.start_at <= now + timedelta(days=RISK_DAYS) and 2 * session.seats_taken < session.capacity:
        reasons.append(UNDER_BOOKED)
    return reasons


def sessions_at_risk(now):
    """Scheduled sessions still to start with a side below its held seats close to the release, no
    instructor, or less than half full within RISK_DAYS; soonest first."""
    soon = now + timedelta(days=RISK_DAYS)
    candidates = _sessions(
        select(Session)
        .where(
            Session.status == "scheduled",
            Session.start_at > now,
            Session.start_at <= now + timedelta(days=STAFFING_DAYS),
            or_(
                Session.start_at <= soon,  # under-booked or a short side, all within the week
                ~Session.instructors.any(),
                and_(Session.min_per_side > 0,
                     or_(Session.seats_municipal < Session.min_per_side,
                         Session.seats_regional < Session.min_per_side)),
            ),
        )
        .order_by(Session.start_at, Session.id)
    )
    found = [AtRisk(s, reasons) for s in candidates if (reasons := risk_reasons(s, now))]
    return found[:LIST_LIMIT], max(len(found) - LIST_LIMIT, 0)


def waiting_lists(now):
    """Coming sessions that people are waiting for, with how many, soonest first."""
    rows = db.session.execute(
        select(Session.id, func.count(Booking.id))
        .join(Booking, Booking.session_id == Session.id)
        .where(Booking.status == "waitlisted", Session.status == "scheduled", Session.start_at > now)
        .group_by(Session.id, Session.start_at)
        .order_by(Session.start_at, Session.id)
    ).all()
    shown = dict(rows[:LIST_LIMIT])
    sessions = _sessions(select(Session).where(Session.id.in_(list(shown))).order_by(Session.start_at, Session.id))
    return [(s, shown[s.id]) for s in sessions], sum(n for _id, n in rows)


def expiring_skills(today, window_days):
    """Per skill, how many active people's latest demonstration runs out within the window (county-wide).

    The latest demonstration is the one valid longest (valid-until grows with the session date). Read
    from the few records that run out within the window (an index range), less the people who hold a
    later one of the same skill: grouping all of a county's records first cost most of the page.
    """
    end = today + timedelta(days=window_days)
    later = aliased(SkillRecord)
    # Counted per skill straight from the records (a person with two such records counts once),
    # without a distinct (person, skill) list built first: that step cost a third of the query.
    # Counted before the skills are joined: PostgreSQL, misjudging the anti-join as one row, otherwise
    # looped over every skill for each record.
    counts = (
        select(SkillRecord.skill_id, func.count(SkillRecord.participant_id.distinct()).label("people"))
        .join(Participant, Participant.id == SkillRecord.participant_id)
        .where(SkillRecord.valid_until >= today, SkillRecord.valid_until <= end,
               SkillRecord.outcome == "demonstrated", Participant.active.is_(True),
               ~select(later.id).where(later.participant_id == SkillRecord.participant_id,
                                       later.skill_id == SkillRecord.skill_id, later.outcome == "demonstrated",
                                       later.valid_until > end).exists())
        .group_by(SkillRecord.skill_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Skill, counts.c.people)
        .join(counts, counts.c.skill_id == Skill.id)
        .order_by(counts.c.people.desc(), Skill.code)
    ).all()
    return [(skill, n) for skill, n in rows]


def build(now):
    """Everything on the admin's home page."""
    tz = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Stockholm"
    today = local_today(tz)
    window = int(current_app.config["KTC_EXPIRY_WINDOW_DAYS"])
    at_risk, more = sessions_at_risk(now)
    waiting, waiting_total = waiting_lists(now)
    failed = db.session.execute(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "failed")
    ).scalar_one()
    return Dashboard(
        today=today,
        today_sessions=_sessions(
            select(Session).where(Session.status != "cancelled",
                                  Session.end_at > local_to_utc(today, time(0), tz),
                                  Session.start_at < local_to_utc(today + timedelta(days=1), time(0), tz))
            .order_by(Session.start_at, Session.id)),
        at_risk=at_risk,
        at_risk_more=more,
        waiting=waiting,
        waiting_total=waiting_total,
        outbox_failed=failed,
        expiring=expiring_skills(today, window),
        window_days=window,
    )
