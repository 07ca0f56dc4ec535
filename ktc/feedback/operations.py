"""Feedback requests and answers, and the instructor's session report."""
import hashlib
import secrets

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ktc.accounts.models import User
from ktc.bookings.models import Booking
from ktc.database import among, savepoint, utcnow
from ktc.errors import Conflict, NotFound, PermissionDenied
from ktc.extensions import db
from ktc.feedback.anonymise import scrub
from ktc.feedback.models import Feedback, SessionReport
from ktc.mail.outbox import enqueue
from ktc.network.stats import refresh_session_stats
from ktc.organisations.models import Participant
from ktc.policy import can_write_session_report
from ktc.sessions.models import Session, session_instructors
from ktc.stations.models import Station
from ktc.urls import external_url

SCALE_FIELDS = ("overall", "relevance", "confidence_before", "confidence_after", "learned_other_side")
TEXT_FIELDS = ("take_back", "improve")
TEXT_MAX = 2000
EMAIL_LOCALES = ("sv", "en")


class AlreadyAnswered(Conflict):
    code = "feedback_already_answered"
    message = _l("This feedback has already been answered. Thank you!")


class SessionCancelled(Conflict):
    code = "session_cancelled"
    message = _l("The session is cancelled; there is nothing to report.")


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    """A feedback token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def feedback_url(token):
    """The absolute link for e-mails."""
    return external_url("feedback.respond", token=token)


def people_names(session_ids):
    """{session_id: {names}} of everyone booked into or instructing the sessions (two queries)."""
    names = {sid: set() for sid in session_ids}
    if not names:
        return names
    # Plain rows (no ORM results): the network view asks for the names of a thousand sessions.
    run = db.session.connection().execute
    rows = run(
        select(Booking.session_id, Participant.name)
        .join(Participant, Participant.id == Booking.participant_id)
        .where(among(Booking.session_id, names))
    ).all()
    rows += run(
        select(session_instructors.c.session_id, User.name)
        .join(User, User.id == session_instructors.c.user_id)
        .where(among(session_instructors.c.session_id, names))
    ).all()
    for session_id, name in rows:
        names[session_id].add(name)
    return names


def bookings_awaiting_request(limit=500):
    """Attended bookings of completed sessions that have no feedback row yet."""
    stmt = (
        select(Booking)
        .join(Session, Session.id == Booking.session_id)
        .outerjoin(Feedback, Feedback.booking_id == Booking.id)
        .where(Session.status == "completed", Booking.status == "attended", Feedback.id.is_(None))
        .order_by(Booking.id)
        .limit(limit)
        .options(
            selectinload(Booking.participant),
            selectinload(Booking.session).selectinload(Session.station).selectinload(Station.centre),
        )
    )
    return db.session.execute(stmt).scalars().all()


def _render_request_email(booking, link):
    """Subject, text and HTML of the request, in Swedish and then English (the person's
    language is not known: many participants never log in)."""
    session = booking.session
    texts, htmls, subjects = [], [], []
    for locale in EMAIL_LOCALES:
        with force_locale(locale):
            context = {"session": session, "participant": booking.participant, "link": link, "lang": locale}
            subjects.append(_("How was %(station)s?", station=session.station.name))
            texts.append(render_template("feedback/emails/request.txt", **context))
            htmls.append(render_template("feedback/emails/request.html", **context))
    subject = subjects[0] if subjects[0] == subjects[1] else " / ".join(subjects)
    text = "\n\n----------------------------------------\n\n".join(t.strip() for t in texts) + "\n"
    html = "<!doctype html><html><body>" + "<hr>".join(htmls) + "</body></html>"
    return subject, text, html


def request_feedback(now=None):
    """Create one feedback request per attended booking of a completed session and queue its
    e-mail; returns the new Feedback rows. Safe to run twice: each booking gets one row."""
    now = now or utcnow()
    created = []
    for booking in bookings_awaiting_request():
        token = new_token()
        try:
            # A savepoint per booking: if a concurrent run got there first, the unique
            # booking_id refuses our row and only that booking is skipped.
            with savepoint():
                feedback = Feedback(
                    booking_id=booking.id,
                    session_id=booking.session_id,
                    side=booking.side,
                    token_hash=hash_token(token),
                    requested_at=now,
                )
                db.session.add(feedback)
                db.session.flush()
                if booking.participant.email:
                    subject, text, html = _render_request_email(booking, feedback_url(token))
                    enqueue("feedback_request", booking.id, booking.participant.email, subject, text, html)
                    db.session.flush()
        except IntegrityError:
            continue
        created.append(feedback)
    refresh_session_stats({feedback.session_id for feedback in created})
    return created


def feedback_by_token(token):
    """The feedback row the link belongs to; NotFound for anything else."""
    if not token or len(token) > 200:
        raise NotFound()
    feedback = db.session.execute(
        select(Feedback)
        .where(Feedback.token_hash == hash_token(token))
        .options(selectinload(Feedback.session).selectinload(Session.station))
    ).scalar_one_or_none()
    if feedback is None:
        raise NotFound()
    return feedback


def submit_feedback(feedback, answers, now=None):
    """Store the answers once. The free text loses e-mail addresses, phone numbers and the
    names of the session's participants and instructors before it is stored."""
    names = people_names([feedback.session_id])[feedback.session_id]
    values = {field: int(answers[field]) for field in SCALE_FIELDS}
    for field in TEXT_FIELDS:
        values[field] = scrub((answers.get(field) or "")[:TEXT_MAX], names)
    values["responded_at"] = now or utcnow()
    # Conditional UPDATE: of two simultaneous submissions exactly one finds responded_at empty.
    result = db.session.execute(
        update(Feedback)
        .where(and_(Feedback.id == feedback.id, Feedback.responded_at.is_(None)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyAnswered()
    refresh_session_stats([feedback.session_id])
    db.session.refresh(feedback)
    return feedback


def report_for(session):
    return db.session.execute(
        select(SessionReport).where(SessionReport.session_id == session.id)
    ).scalar_one_or_none()


def save_session_report(actor, session, what_worked, what_to_change, equipment_problems, now=None):
    """Write or update the instructor's report of a session."""
    if not can_write_session_report(actor, session):
        raise PermissionDenied()
    if session.status == "cancelled":
        raise SessionCancelled()
    now = now or utcnow()
    report = report_for(session)
    if report is None:
        report = SessionReport(session_id=session.id, created_at=now)
        db.session.add(report)
    report.author_id = actor.id
    report.what_worked = (what_worked or "").strip()
    report.what_to_change = (what_to_change or "").strip()
    report.equipment_problems = (equipment_problems or "").strip()
    report.updated_at = now
    db.session.flush()
    return report


def reportable_sessions(actor, since, until):
    """Sessions in [since, until) the actor may report on, newest first, with their reports."""
    stmt = (
        select(Session, SessionReport)
        .outerjoin(SessionReport, SessionReport.session_id == Session.id)
        .where(Session.status != "cancelled", Session.start_at >= since, Session.start_at < until)
        .order_by(Session.start_at.desc())
        .options(selectinload(Session.station).selectinload(Station.centre))
    )
    if actor.role != "admin":
        stmt = stmt.join(session_instructors, session_instructors.c.session_id == Session.id).where(
            session_instructors.c.user_id == actor.id
        )
    return db.session.execute(stmt).all()


def waiting_for(participant_id):
    """The participant's own feedback requests not answered yet, oldest session first."""
    if not participant_id:
        return []
    return db.session.execute(
        select(Feedback)
        .join(Booking, Booking.id == Feedback.booking_id)
        .join(Session, Session.id == Feedback.session_id)
        .where(Booking.participant_id == participant_id, Feedback.responded_at.is_(None),
               Session.status == "completed")
        .options(selectinload(Feedback.session).selectinload(Session.station).selectinload(Station.centre))
        .order_by(Session.start_at, Feedback.id)
    ).scalars().all()


def own_feedback(participant_id, feedback_id):
    """One of the participant's own feedback rows (answered or not); NotFound for anyone else's."""
    feedback = db.session.execute(
        select(Feedback)
        .join(Booking, Booking.id == Feedback.booking_id)
        .where(Feedback.id == feedback_id, Booking.participant_id == participant_id)
        .options(selectinload(Feedback.session).selectinload(Session.station))
    ).scalar_one_or_none() if participant_id else None
    if feedback is None:
        raise NotFound()
    return feedback
