"""Export, erase and purge personal data. Erasure anonymises: the statistics stay, the person goes."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from ktc import audit, policy
from ktc.accounts.models import ApiToken, LoginFailure, User
from ktc.bookings.models import Booking
from ktc.calendar.models import CalendarReply
from ktc.database import utcnow
from ktc.errors import PermissionDenied
from ktc.extensions import db
from ktc.feedback.models import Feedback
from ktc.mail.models import OutboxMessage
from ktc.notices.models import TeamEvent
from ktc.organisations.models import Participant
from ktc.records.models import SkillRecord
from ktc.sessions.models import Session

ERASED_NAME = "Anonymiserad"


def _iso(value):
    return value.isoformat() if value is not None else None


def export_participant(actor, participant):
    """Everything KTC holds about one participant, as plain data (for a JSON download)."""
    if not policy.can_view_participant(actor, participant):
        raise PermissionDenied()
    bookings = db.session.execute(
        select(Booking, Session).join(Session, Session.id == Booking.session_id)
        .where(Booking.participant_id == participant.id).order_by(Session.start_at)
    ).all()
    records = db.session.execute(
        select(SkillRecord).where(SkillRecord.participant_id == participant.id).order_by(SkillRecord.signed_at)
    ).scalars().all()
    feedback = db.session.execute(
        select(Feedback).join(Booking, Booking.id == Feedback.booking_id).where(Booking.participant_id == participant.id)
    ).scalars().all()
    user = db.session.execute(select(User).where(User.participant_id == participant.id)).scalar_one_or_none()
    return {
        "participant": {
            "id": participant.id,
            "name": participant.name,
            "email": participant.email,
            "profession": participant.profession.name if participant.profession else None,
            "unit": participant.unit.name,
            "organisation": participant.unit.organisation.name,
            "active": participant.active,
            "created_at": _iso(participant.created_at),
        },
        "account": None if user is None else {
            "email": user.email, "name": user.name, "role": user.role, "locale": user.locale,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
        },
        "bookings": [
            {
                "session_id": s.id, "station": s.station.name, "start": _iso(s.start_at), "end": _iso(s.end_at),
                "status": b.status, "booked_at": _iso(b.booked_at), "cancelled_at": _iso(b.cancelled_at),
                "cancel_reason": b.cancel_reason,
            }
            for b, s in bookings
        ],
        "skill_records": [
            {
                "skill": r.skill.code, "skill_name": r.skill.name, "session_id": r.session_id, "outcome": r.outcome,
                "signed_at": _iso(r.signed_at), "valid_until": _iso(r.valid_until), "comment": r.comment,
            }
            for r in records
        ],
        "feedback": [
            {
                "session_id": f.session_id, "responded_at": _iso(f.responded_at), "overall": f.overall,
                "relevance": f.relevance, "confidence_before": f.confidence_before,
                "confidence_after": f.confidence_after, "learned_other_side": f.learned_other_side,
                "take_back": f.take_back, "improve": f.improve,
            }
            for f in feedback
        ],
        **_path_data(participant),
    }


def _path_data(participant):
    """The person's learning paths (with each step's state and the certificate of a completed path),
    study circles and circle meetings."""
    from ktc.paths import operations as paths
    from ktc.paths.models import CircleAttendance, CircleMeeting, StudyCircle, circle_members

    progress = paths.person_progress(participant)
    circles = db.session.execute(
        select(StudyCircle).join(circle_members, circle_members.c.circle_id == StudyCircle.id)
        .where(circle_members.c.participant_id == participant.id).order_by(StudyCircle.name)
    ).scalars().all()
    attendance = db.session.execute(
        select(CircleAttendance, CircleMeeting).join(CircleMeeting, CircleMeeting.id == CircleAttendance.meeting_id)
        .where(CircleAttendance.participant_id == participant.id).order_by(CircleMeeting.start_at)
    ).all()
    return {
        "learning_paths": [
            {
                "path": p.assignment.path.name, "start_date": _iso(p.assignment.start_date),
                "source": p.assignment.source, "assigned_at": _iso(p.assignment.created_at),
                "steps": [
                    {"title": s.step.title, "kind": s.step.kind,
                     "skill": s.step.skill.code if s.step.skill else None, "due_date": _iso(s.due_date),
                     "status": s.status, "done_on": _iso(s.done_on)}
                    for s in p.steps
                ],
                # The certificate the person can print once every step is done.
                "certificate": {"completed_on": _iso(p.completed_on)} if p.complete else None,
            }
            for p in progress
        ],
        "study_circles": [
            {"name": c.name, "path": c.path.name, "facilitator": c.facilitator.name if c.facilitator else None}
            for c in circles
        ],
        "circle_meetings": [
            {"circle": m.circle.name, "start": _iso(m.start_at), "end": _iso(m.end_at), "location": m.location,
             "topic": m.topic, "status": m.status, "attended": a.attended, "recorded_at": _iso(a.recorded_at)}
            for a, m in attendance
        ],
    }


def erase_participant(actor, participant):
    """Anonymise a participant: name, e-mail, comments and login go; bookings, outcomes and
    feedback scores stay, without the person, so the statistics still add up."""
    if not policy.is_admin(actor):
        raise PermissionDenied()
    _anonymise(participant)
    audit.record(actor, "participant.erased", participant)
    return participant


def _anonymise(participant):
    now = utcnow()
    email = participant.email
    participant.name = ERASED_NAME
    participant.email = None
    participant.active = False
    participant.anonymised_at = now
    db.session.execute(
        update(SkillRecord).where(SkillRecord.participant_id == participant.id).values(comment="")
    )
    db.session.execute(
        update(Booking).where(Booking.participant_id == participant.id, Booking.cancel_reason.is_not(None))
        .values(cancel_reason="")
    )
    booking_ids = select(Booking.id).where(Booking.participant_id == participant.id)
    db.session.execute(
        update(Feedback).where(Feedback.booking_id.in_(booking_ids)).values(take_back="", improve="", booking_id=None)
    )
    user = db.session.execute(select(User).where(User.participant_id == participant.id)).scalar_one_or_none()
    if user is not None:
        db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        user.email = f"erased-{user.id}@invalid"
        user.name = ERASED_NAME
        user.password_hash = None
        user.active = False
        user.rotate_login_nonce()
    # The address an answer from their calendar came from (the record itself stays: it keeps the
    # message from being applied twice).
    db.session.execute(
        update(CalendarReply).where(CalendarReply.booking_id.in_(booking_ids)).values(sender="")
    )
    if email:
        db.session.execute(update(CalendarReply).where(func.lower(CalendarReply.sender) == email.lower())
                           .values(sender=""))
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == email))
        db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    db.session.flush()


def purge_expired(now=None):
    """Anonymise participants inactive past the retention period and drop old personal traces.

    A participant is purged when inactive and nothing about them (record, booking, change) is
    newer than the retention period. Sent e-mails, login failures and managers' team events past it
    are deleted.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["KTC_RETENTION_DAYS"])
    last_session = (
        select(func.max(Session.end_at))
        .join(Booking, Booking.session_id == Session.id)
        .where(Booking.participant_id == Participant.id)
        .scalar_subquery()
    )
    stale = db.session.execute(
        select(Participant).where(
            Participant.active.is_(False),
            Participant.anonymised_at.is_(None),
            Participant.updated_at < cutoff,
            func.coalesce(last_session, Participant.updated_at) < cutoff,
        )
    ).scalars().all()
    for participant in stale:
        _anonymise(participant)
        audit.record(None, "participant.purged", participant)
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.status == "sent", OutboxMessage.created_at < cutoff))
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
    db.session.execute(delete(TeamEvent).where(TeamEvent.created_at < cutoff))
    db.session.execute(update(CalendarReply).where(CalendarReply.received_at < cutoff).values(sender=""))
    return len(stale)
