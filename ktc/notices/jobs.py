"""Scheduled jobs of the notices feature (collected by ktc/scheduler.py)."""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc.bookings.models import Booking
from ktc.database import among, utcnow
from ktc.extensions import db
from ktc.notices.operations import tell_managers
from ktc.sessions.models import Session
from ktc.stations.models import Station

# Sessions that started longer ago than this are not announced (a scheduler that was off for
# days does not tell managers about last week's waiting lists).
STILL_WAITING_WINDOW = timedelta(days=1)


def tell_managers_still_waiting(now=None):
    """When a session has started with people still on its waiting list, tell their managers.

    The session's start is in the event's cause, so a second run (or a second process) adds
    nothing; a session moved to a later start is announced again when it starts.
    """
    now = now or utcnow()
    sessions = db.session.execute(
        select(Session)
        .where(Session.status != "cancelled", Session.start_at <= now,
               Session.start_at > now - STILL_WAITING_WINDOW,
               Session.id.in_(select(Booking.session_id).where(Booking.status == "waitlisted")))
        .options(selectinload(Session.station).selectinload(Station.centre), selectinload(Session.skills))
        .order_by(Session.start_at, Session.id)
    ).scalars().all()
    waiting = {}
    if sessions:
        # Every waiting booking of these sessions in one query, not one query per session.
        for booking in db.session.execute(
            select(Booking)
            .where(among(Booking.session_id, [s.id for s in sessions]), Booking.status == "waitlisted")
            .options(selectinload(Booking.participant))
            .order_by(Booking.queued_at, Booking.id)
        ).scalars():
            waiting.setdefault(booking.session_id, []).append(booking)
    queued = 0
    for session in sessions:
        cause = f"s{session.id}:waiting:{session.start_at.isoformat()}"
        queued += len(tell_managers("left_waiting", cause, session, waiting.get(session.id, [])))
    return queued


JOBS = [
    {"id": "notices.tell_managers_still_waiting", "func": tell_managers_still_waiting, "trigger": "interval",
     "minutes": 15, "misfire_grace_time": 600, "coalesce": True},
]
