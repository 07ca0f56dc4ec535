"""Scheduled mail jobs: deliver the outbox, remind participants, announce released seats.

Each job is one transaction, committed by the scheduler (the sender commits per message). Reminders and release notices are queued with a key per cause, so a
second run (or a second process) finds them queued and adds nothing.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ktc.accounts.models import User, unit_managers
from ktc.bookings.models import Booking
from ktc.bookings.seats import release_at, reservations
from ktc.database import utcnow
from ktc.extensions import db
from ktc.i18n import to_local
from ktc.mail import notify, sender
from ktc.organisations.models import Participant
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session, session_skills
from ktc.skills.models import profession_skills
from ktc.stations.models import Station

# Release notices are only sent this long after the release moment (a late run still counts;
# a scheduler that was off for days does not announce seats released long ago).
RELEASE_NOTICE_WINDOW = timedelta(days=1)


def send_outbox(now=None):
    """Deliver due outbox messages over SMTP."""
    return sender.send_pending(now)


def send_reminders(now=None):
    """Queue a reminder for confirmed bookings whose session starts within KTC_REMINDER_HOURS.

    Bookings made inside that window are skipped: their confirmation is the reminder.
    """
    now = now or utcnow()
    lead = timedelta(hours=current_app.config["KTC_REMINDER_HOURS"])
    bookings = db.session.execute(
        select(Booking)
        .join(Session, Booking.session_id == Session.id)
        .where(Session.status == "scheduled", Booking.status == "confirmed",
               Session.start_at > now, Session.start_at <= now + lead)
        .options(selectinload(Booking.session).selectinload(Session.station).selectinload(Station.centre),
                 selectinload(Booking.session).selectinload(Session.skills),
                 selectinload(Booking.participant))
        .order_by(Booking.id)
    ).scalars().all()
    queued = 0
    for booking in bookings:
        booked = booking.confirmed_at or booking.booked_at
        if booked > booking.session.start_at - lead:
            continue
        if notify.reminder(booking) is not None:
            queued += 1
    return queued


def notify_seats_released(now=None):
    """When a session's held seats open to both sides and seats are free, tell the managers who may want them."""
    now = now or utcnow()
    candidates = db.session.execute(
        select(Session)
        .where(Session.status == "scheduled", Session.min_per_side > 0, Session.start_at > now)
        .options(selectinload(Session.station).selectinload(Station.centre), selectinload(Session.skills))
        .order_by(Session.start_at)
    ).scalars().all()
    queued = 0
    # In a priority window only the units the session was planned for can take the seats: nobody else is told.
    reserved = reservations(candidates, now)
    for session in candidates:
        release = release_at(session)
        if not (release <= now < release + RELEASE_NOTICE_WINDOW) or session.seats_free <= 0:
            continue
        only = reserved[session.id].unit_ids if session.id in reserved else None
        queued += len(notify.seats_released(session, interested_managers(session, only)))
    return queued


def notify_seats_opened(now=None):
    """When a planned session's priority window ends with seats free, tell the managers who may want them
    (within a day of the end, like release notices: a scheduler that was off does not announce old news)."""
    now = now or utcnow()
    sessions = db.session.execute(
        select(Session)
        .where(Session.status == "scheduled", Session.start_at > now, Session.priority_until <= now,
               Session.priority_until > now - RELEASE_NOTICE_WINDOW)
        .options(selectinload(Session.station).selectinload(Station.centre), selectinload(Session.skills))
        .order_by(Session.start_at)
    ).scalars().all()
    return sum(len(notify.seats_opened(session, interested_managers(session)))
               for session in sessions if session.seats_free > 0)


def interested_managers(session, unit_ids=None):
    """Managers of units with someone on this session's waiting list or needing one of its skills
    (among `unit_ids`, if given).

    "Needing" means the person's profession requires the skill and they hold no demonstration
    of it that is still valid on the session's day.
    """
    waitlisted_units = select(Participant.unit_id).join(Booking, Booking.participant_id == Participant.id).where(
        Booking.session_id == session.id, Booking.status == "waitlisted"
    )
    session_day = to_local(session.start_at, session.station.centre.timezone).date()
    session_skill_ids = select(session_skills.c.skill_id).where(session_skills.c.session_id == session.id)
    valid_demonstration = (
        select(SkillRecord.id)
        .where(SkillRecord.participant_id == Participant.id, SkillRecord.outcome == "demonstrated",
               SkillRecord.skill_id == profession_skills.c.skill_id,
               (SkillRecord.valid_until.is_(None)) | (SkillRecord.valid_until >= session_day))
        .exists()
    )
    needing_units = (
        select(Participant.unit_id)
        .join(profession_skills, profession_skills.c.profession_id == Participant.profession_id)
        .where(Participant.active.is_(True), profession_skills.c.skill_id.in_(session_skill_ids), ~valid_demonstration)
    )
    stmt = (
        select(User)
        .join(unit_managers, unit_managers.c.user_id == User.id)
        .where(User.active.is_(True), User.role == "manager",
               unit_managers.c.unit_id.in_(waitlisted_units.union(needing_units)))
    )
    if unit_ids is not None:
        stmt = stmt.where(unit_managers.c.unit_id.in_(list(unit_ids) or [0]))
    return db.session.execute(
        stmt
        .distinct()
        .order_by(User.id)
    ).scalars().all()


JOBS = [
    {"id": "mail.send_outbox", "func": send_outbox, "trigger": "interval", "minutes": 1},
    {"id": "mail.send_reminders", "func": send_reminders, "trigger": "interval", "minutes": 15},
    {"id": "mail.notify_seats_released", "func": notify_seats_released, "trigger": "interval", "minutes": 15},
    {"id": "mail.notify_seats_opened", "func": notify_seats_opened, "trigger": "interval", "minutes": 15},
]
